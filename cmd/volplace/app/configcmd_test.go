package app

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	schedulerconfigv1 "k8s.io/kube-scheduler/config/v1"
	"sigs.k8s.io/yaml"
)

func TestSchedulerConfig(t *testing.T) {
	ca := filepath.Join(t.TempDir(), "ca.crt")
	if err := os.WriteFile(ca, []byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		modify func(*SchedulerConfigOptions)
		want   string
	}{
		{
			name:   "default scheduler",
			modify: func(o *SchedulerConfigOptions) { o.URL = "http://volplace.volplace-system.svc:8888" },
			want: `apiVersion: kubescheduler.config.k8s.io/v1
clientConnection:
  kubeconfig: /etc/kubernetes/scheduler.conf
extenders:
- filterVerb: filter
  httpTimeout: 2s
  ignorable: true
  nodeCacheCapable: true
  prioritizeVerb: prioritize
  urlPrefix: http://volplace.volplace-system.svc:8888
  weight: 1
kind: KubeSchedulerConfiguration
leaderElection:
  leaderElect: true
profiles:
- schedulerName: default-scheduler
`,
		},
		{
			name: "secondary scheduler over TLS with managed resources",
			modify: func(o *SchedulerConfigOptions) {
				o.URL, o.TLSCAFile, o.Secondary, o.ManagedResources, o.Ignorable = "https://volplace.volplace-system.svc:8888", ca, true, true, false
				o.TLSCertFile, o.TLSKeyFile = "/etc/volplace/client.crt", "/etc/volplace/client.key"
			},
			want: `apiVersion: kubescheduler.config.k8s.io/v1
extenders:
- enableHTTPS: true
  filterVerb: filter
  httpTimeout: 2s
  managedResources:
  - ignoredByScheduler: true
    name: volplace.io/storage
  nodeCacheCapable: true
  prioritizeVerb: prioritize
  tlsConfig:
    caData: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUIKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo=
    certFile: /etc/volplace/client.crt
    keyFile: /etc/volplace/client.key
  urlPrefix: https://volplace.volplace-system.svc:8888
  weight: 1
kind: KubeSchedulerConfiguration
leaderElection:
  leaderElect: true
  resourceName: volplace-scheduler
  resourceNamespace: volplace-system
profiles:
- schedulerName: volplace-scheduler
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := NewSchedulerConfigOptions()
			tt.modify(o)
			if errs := o.Validate(); len(errs) > 0 {
				t.Fatalf("Validate() = %v", errs)
			}
			var out bytes.Buffer
			if err := o.Run(&out); err != nil {
				t.Fatal(err)
			}
			start := bytes.Index(out.Bytes(), []byte("apiVersion"))
			if start < 0 {
				t.Fatalf("no apiVersion in the output:\n%s", out.String())
			}
			body := out.Bytes()[start:]
			if diff := cmp.Diff(tt.want, string(body)); diff != "" {
				t.Errorf("output (-want,+got):\n%s", diff)
			}
			var cfg schedulerconfigv1.KubeSchedulerConfiguration
			if err := yaml.UnmarshalStrict(out.Bytes(), &cfg); err != nil {
				t.Errorf("output is not a valid KubeSchedulerConfiguration: %v", err)
			}
		})
	}
}

func TestSchedulerConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*SchedulerConfigOptions)
		want   []string
	}{
		{name: "no url", modify: func(*SchedulerConfigOptions) {}, want: []string{"--url is required"}},
		{name: "not a URL", modify: func(o *SchedulerConfigOptions) { o.URL = "volplace:8888" }, want: []string{`--url must be an http or https URL, not "volplace:8888"`}},
		{
			name:   "https without CA",
			modify: func(o *SchedulerConfigOptions) { o.URL = "https://volplace:8888" },
			want:   []string{"an https --url needs --tls-ca: without a CA kube-scheduler silently skips certificate verification"},
		},
		{
			name:   "client key without certificate",
			modify: func(o *SchedulerConfigOptions) { o.URL, o.TLSKeyFile = "http://v:1", "k" },
			want:   []string{"--tls-client-cert-file and --tls-client-key-file go together"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := NewSchedulerConfigOptions()
			tt.modify(o)
			var got []string
			for _, err := range o.Validate() {
				got = append(got, err.Error())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Validate() (-want,+got):\n%s", diff)
			}
		})
	}
}
