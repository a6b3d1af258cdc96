package harness

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"

	"google.golang.org/grpc"
	registerapi "k8s.io/kubelet/pkg/apis/pluginregistration/v1"
)

// registrar serves kubelet's plugin registration API for one CSI driver,
// as node-driver-registrar does: kubelet finds its socket in its
// plugins_registry directory, asks GetInfo, then talks CSI to the driver's
// endpoint, and writes the CSINode and the Node's topology labels itself.
type registrar struct {
	registerapi.UnimplementedRegistrationServer
	driver, endpoint string
	status           chan *registerapi.RegistrationStatus
}

func (r *registrar) GetInfo(context.Context, *registerapi.InfoRequest) (*registerapi.PluginInfo, error) {
	return &registerapi.PluginInfo{
		Type: registerapi.CSIPlugin, Name: r.driver, Endpoint: r.endpoint, SupportedVersions: []string{"1.0.0"},
	}, nil
}

func (r *registrar) NotifyRegistrationStatus(_ context.Context, s *registerapi.RegistrationStatus) (*registerapi.RegistrationStatusResponse, error) {
	select {
	case r.status <- s:
	default:
	}
	return &registerapi.RegistrationStatusResponse{}, nil
}

// serveRegistration registers a driver whose CSI socket is endpoint with
// the kubelet whose plugins_registry directory is registry, and waits for
// kubelet's answer. The returned function stops the registration server.
func serveRegistration(ctx context.Context, registry, driver, endpoint string) (func(), error) {
	sock := filepath.Join(registry, driver+"-reg.sock")
	_ = os.Remove(sock)
	l, err := net.Listen("unix", sock)
	if err != nil {
		return nil, fmt.Errorf("registration socket of %s: %w", driver, err)
	}
	srv := grpc.NewServer()
	r := &registrar{driver: driver, endpoint: endpoint, status: make(chan *registerapi.RegistrationStatus, 1)}
	registerapi.RegisterRegistrationServer(srv, r)
	go func() { _ = srv.Serve(l) }()
	stop := func() { srv.Stop(); _ = os.Remove(sock) }
	select {
	case s := <-r.status:
		if !s.PluginRegistered {
			stop()
			return nil, fmt.Errorf("kubelet refused driver %s: %s", driver, s.Error)
		}
		return stop, nil
	case <-ctx.Done():
		stop()
		return nil, fmt.Errorf("kubelet did not register driver %s: %w", driver, ctx.Err())
	}
}
