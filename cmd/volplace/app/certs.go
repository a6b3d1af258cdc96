package app

import (
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/volplace/volplace/certs"
)

// CertsOptions are the flags of `volplace certs generate`.
type CertsOptions struct {
	DNSNames []string
	IPs      []string
	Out      string
	Validity time.Duration
}

// AddFlags registers the flags.
func (o *CertsOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringSliceVar(&o.DNSNames, "dns-name", o.DNSNames, "DNS name of the serving certificate, e.g. volplace.volplace-system.svc; repeat for several.")
	fs.StringSliceVar(&o.IPs, "ip", o.IPs, "IP address of the serving certificate, e.g. 127.0.0.1; repeat for several.")
	fs.StringVar(&o.Out, "out", o.Out, "Directory to write ca.crt, tls.crt and tls.key to.")
	fs.DurationVar(&o.Validity, "validity", o.Validity, "How long the serving certificate is valid (the CA lives ten times longer).")
}

// Validate checks the flags.
func (o *CertsOptions) Validate() []error {
	var errs []error
	if len(o.DNSNames) == 0 && len(o.IPs) == 0 {
		errs = append(errs, errors.New("at least one --dns-name or --ip is required"))
	}
	for _, ip := range o.IPs {
		if net.ParseIP(ip) == nil {
			errs = append(errs, fmt.Errorf("--ip %q is not an IP address", ip))
		}
	}
	if o.Out == "" {
		errs = append(errs, errors.New("--out is required"))
	}
	if o.Validity <= 0 {
		errs = append(errs, fmt.Errorf("--validity must be positive, not %s", o.Validity))
	}
	return errs
}

func newCertsCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "certs", Short: "Manage volplace's TLS certificates"}
	o := &CertsOptions{Validity: 365 * 24 * time.Hour}
	generate := &cobra.Command{
		Use:   "generate --dns-name NAME [--ip IP] --out DIR",
		Short: "Write a new CA (ca.crt) and a serving certificate it signed (tls.crt, tls.key) to a directory",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := errors.Join(o.Validate()...); err != nil {
				return err
			}
			ca, err := certs.NewCA("volplace-ca", 10*o.Validity)
			if err != nil {
				return err
			}
			ips := make([]net.IP, len(o.IPs))
			for i, ip := range o.IPs {
				ips[i] = net.ParseIP(ip)
			}
			serving, err := ca.NewServing(o.DNSNames, ips, o.Validity)
			if err != nil {
				return err
			}
			if err := certs.WriteFiles(o.Out, ca, serving); err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "wrote %s/ca.crt, %s/tls.crt and %s/tls.key (valid until %s)\n",
				o.Out, o.Out, o.Out, serving.Certificate().NotAfter.Format(time.RFC3339))
			return err
		},
	}
	o.AddFlags(generate.Flags())
	cmd.AddCommand(generate)
	return cmd
}
