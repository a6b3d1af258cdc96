package options

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestServeOptionsValidate(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*ServeOptions)
		want   []string
	}{
		{name: "defaults are valid", modify: func(*ServeOptions) {}},
		{
			name:   "address without port",
			modify: func(o *ServeOptions) { o.ExtenderBindAddress = "localhost" },
			want:   []string{`--extender-bind-address "localhost": address localhost: missing port in address`},
		},
		{
			name:   "certificate without key",
			modify: func(o *ServeOptions) { o.ExtenderTLSCertFile = "tls.crt" },
			want:   []string{"--extender-tls-cert-file and --extender-tls-key-file must be set together"},
		},
		{
			name:   "client CA without TLS",
			modify: func(o *ServeOptions) { o.ExtenderClientCAFile = "ca.crt" },
			want:   []string{"--extender-client-ca-file needs --extender-tls-cert-file and --extender-tls-key-file"},
		},
		{
			name:   "body cap",
			modify: func(o *ServeOptions) { o.ExtenderMaxBodyBytes = 0 },
			want:   []string{"--extender-max-body-bytes must be positive, not 0"},
		},
		{
			name:   "API client limits",
			modify: func(o *ServeOptions) { o.KubeAPIQPS, o.KubeAPIBurst = 0, 0 },
			want:   []string{"--kube-api-qps must be positive and --kube-api-burst at least 1, not 0 and 0"},
		},
		{
			name:   "nothing to serve",
			modify: func(o *ServeOptions) { o.ExtenderBindAddress, o.HealthBindAddress, o.WebhookBindAddress = "", "", "" },
			want:   []string{"nothing to serve: --extender-bind-address, --webhook-bind-address and --health-bind-address are all empty"},
		},
		{
			name:   "webhooks without a cert dir",
			modify: func(o *ServeOptions) { o.CertDir = "" },
			want:   []string{"--webhook-bind-address needs --cert-dir"},
		},
		{
			name:   "self-signed secret without namespace",
			modify: func(o *ServeOptions) { o.SelfSignedCerts, o.SelfSignedSecret = true, "certs" },
			want:   []string{`--self-signed-secret must be NAMESPACE/NAME, not "certs"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := NewServeOptions()
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
