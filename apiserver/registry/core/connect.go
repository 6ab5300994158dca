package core

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/httpstream/wsstream"
	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/apimachinery/pkg/util/proxy"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/apiserver/pkg/endpoints/filters"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	genericrest "k8s.io/apiserver/pkg/registry/generic/rest"
	"k8s.io/apiserver/pkg/registry/rest"
	translator "k8s.io/apiserver/pkg/util/proxy"
	"k8s.io/klog/v2"
)

// The subresources that reach from the apiserver to kubelets, pods and
// services: pods/log, pods/exec, pods/attach, pods/portforward, pods/proxy,
// nodes/proxy and services/proxy. They port upstream's
// pkg/registry/core/{pod,node,service}/rest (locations, parameters, errors)
// onto k8s.io/apiserver's LocationStreamer and apimachinery's
// UpgradeAwareHandler, and never import k8s.io/kubernetes.

// ConnectOptions is what the connect subresources need besides the stores.
type ConnectOptions struct {
	// Kubelet is how kubelets are reached.
	Kubelet KubeletClientConfig
	// ProxyTransport reaches pods, services and non-kubelet node ports
	// (kube-apiserver's proxy transport: no client certificate, and with
	// the https: prefix no verification, as upstream).
	ProxyTransport http.RoundTripper
	// Authorizer re-checks exec, attach and portforward requests for the
	// create verb when they arrive as a GET (WebSocket) request
	// (AuthorizePodWebsocketUpgradeCreatePermission, beta and on in v1.35+).
	Authorizer authorizer.Authorizer
	// EndpointSlices finds the endpoints of services/proxy.
	EndpointSlices translator.EndpointSliceGetter
}

// AddConnectStorage adds the connect and log subresources to the core storage
// built by NewStorage.
func AddConnectStorage(all map[string]rest.Storage, opts ConnectOptions) error {
	pods, ok := all["pods"].(rest.Getter)
	if !ok {
		return errors.New("connect subresources: no pod store")
	}
	nodes, ok := all["nodes"].(rest.Getter)
	if !ok {
		return errors.New("connect subresources: no node store")
	}
	services, ok := all["services"].(rest.Getter)
	if !ok {
		return errors.New("connect subresources: no service store")
	}
	conn, err := newKubeletConnections(opts.Kubelet, nodes)
	if err != nil {
		return err
	}
	if opts.ProxyTransport == nil {
		opts.ProxyTransport = http.DefaultTransport
	}
	all["pods/log"] = &LogREST{pods: pods, conn: conn}
	all["pods/exec"] = &streamREST{pods: pods, conn: conn, authz: opts.Authorizer, path: "exec", newOpts: func() runtime.Object { return &corev1.PodExecOptions{} }}
	all["pods/attach"] = &streamREST{pods: pods, conn: conn, authz: opts.Authorizer, path: "attach", newOpts: func() runtime.Object { return &corev1.PodAttachOptions{} }}
	all["pods/portforward"] = &streamREST{pods: pods, conn: conn, authz: opts.Authorizer, path: "portForward", newOpts: func() runtime.Object { return &corev1.PodPortForwardOptions{} }}
	all["pods/proxy"] = &podProxyREST{pods: pods, transport: opts.ProxyTransport}
	all["nodes/proxy"] = &nodeProxyREST{conn: conn, transport: opts.ProxyTransport}
	all["services/proxy"] = &serviceProxyREST{services: services, pods: pods, slices: opts.EndpointSlices, transport: opts.ProxyTransport}
	return nil
}

func getPod(ctx context.Context, pods rest.Getter, name string) (*corev1.Pod, error) {
	obj, err := pods.Get(ctx, name, &metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return nil, fmt.Errorf("unexpected object type %T", obj)
	}
	return pod, nil
}

// validateContainer is upstream's: the only container by default, a
// BadRequest naming the choices when there are several.
func validateContainer(container string, pod *corev1.Pod) (string, error) {
	if container == "" {
		switch len(pod.Spec.Containers) {
		case 1:
			return pod.Spec.Containers[0].Name, nil
		case 0:
			return "", apierrors.NewBadRequest(fmt.Sprintf("a container name must be specified for pod %s", pod.Name))
		default:
			var names []string
			for _, c := range pod.Spec.InitContainers {
				names = append(names, c.Name)
			}
			for _, c := range pod.Spec.Containers {
				names = append(names, c.Name)
			}
			for _, c := range pod.Spec.EphemeralContainers {
				names = append(names, c.Name)
			}
			return "", apierrors.NewBadRequest(fmt.Sprintf("a container name must be specified for pod %s, choose one of: %s", pod.Name, names))
		}
	}
	for _, c := range pod.Spec.InitContainers {
		if c.Name == container {
			return container, nil
		}
	}
	for _, c := range pod.Spec.Containers {
		if c.Name == container {
			return container, nil
		}
	}
	for _, c := range pod.Spec.EphemeralContainers {
		if c.Name == container {
			return container, nil
		}
	}
	return "", apierrors.NewBadRequest(fmt.Sprintf("container %s is not valid for pod %s", container, pod.Name))
}

// LogREST serves pods/log by streaming the kubelet's /containerLogs.
type LogREST struct {
	pods rest.Getter
	conn *kubeletConnections
}

var (
	_ rest.GetterWithOptions = &LogREST{}
	_ rest.StorageMetadata   = &LogREST{}
)

// New returns an empty Pod, the object pods/log is a subresource of.
func (r *LogREST) New() runtime.Object { return &corev1.Pod{} }

// Destroy does nothing: the pod store is shared.
func (r *LogREST) Destroy() {}

// ProducesMIMETypes and ProducesObject tell OpenAPI the log is text.
func (r *LogREST) ProducesMIMETypes(string) []string {
	return []string{"text/plain"}
}

// ProducesObject says the response is a string, not a Pod.
func (r *LogREST) ProducesObject(string) any { return "" }

// NewGetOptions returns the options pods/log is read with.
func (r *LogREST) NewGetOptions() (runtime.Object, bool, string) {
	return &corev1.PodLogOptions{}, false, ""
}

// Get returns a streamer of the container's log from its kubelet.
func (r *LogREST) Get(ctx context.Context, name string, opts runtime.Object) (runtime.Object, error) {
	logOpts, ok := opts.(*corev1.PodLogOptions)
	if !ok {
		return nil, fmt.Errorf("invalid options object: %#v", opts)
	}
	if errs := validatePodLogOptions(logOpts); len(errs) > 0 {
		return nil, apierrors.NewInvalid(schema.GroupKind{Kind: "PodLogOptions"}, name, errs)
	}
	location, transport, err := r.logLocation(ctx, name, logOpts)
	if err != nil {
		return nil, err
	}
	if logOpts.InsecureSkipTLSVerifyBackend {
		klog.FromContext(ctx).V(2).Info("Reading pod logs without verifying the kubelet's certificate (insecureSkipTLSVerifyBackend)", "pod", name)
	}
	return &genericrest.LocationStreamer{
		Location:        location,
		Transport:       transport,
		ContentType:     "text/plain",
		Flush:           logOpts.Follow,
		ResponseChecker: genericrest.NewGenericHttpResponseChecker(corev1.Resource("pods/log"), name),
		RedirectChecker: genericrest.PreventRedirects,
	}, nil
}

// logLocation is upstream's LogLocation.
func (r *LogREST) logLocation(ctx context.Context, name string, opts *corev1.PodLogOptions) (*url.URL, http.RoundTripper, error) {
	pod, err := getPod(ctx, r.pods, name)
	if err != nil {
		return nil, nil, err
	}
	container, err := validateContainer(opts.Container, pod)
	if err != nil {
		return nil, nil, err
	}
	if pod.Spec.NodeName == "" {
		// Not scheduled yet: an empty log, as upstream returns.
		return nil, nil, nil
	}
	info, err := r.conn.GetConnectionInfo(ctx, pod.Spec.NodeName)
	if err != nil {
		return nil, nil, err
	}
	params := url.Values{}
	if opts.Follow {
		params.Add("follow", "true")
	}
	if opts.Previous {
		params.Add("previous", "true")
	}
	if opts.Timestamps {
		params.Add("timestamps", "true")
	}
	if opts.SinceSeconds != nil {
		params.Add("sinceSeconds", strconv.FormatInt(*opts.SinceSeconds, 10))
	}
	if opts.SinceTime != nil {
		params.Add("sinceTime", opts.SinceTime.Format("2006-01-02T15:04:05Z07:00"))
	}
	if opts.TailLines != nil {
		params.Add("tailLines", strconv.FormatInt(*opts.TailLines, 10))
	}
	if opts.LimitBytes != nil {
		params.Add("limitBytes", strconv.FormatInt(*opts.LimitBytes, 10))
	}
	loc := &url.URL{
		Scheme:   info.Scheme,
		Host:     net.JoinHostPort(info.Hostname, info.Port),
		Path:     fmt.Sprintf("/containerLogs/%s/%s/%s", pod.Namespace, pod.Name, container),
		RawQuery: params.Encode(),
	}
	if opts.InsecureSkipTLSVerifyBackend {
		return loc, info.InsecureSkipTLSVerifyTransport, nil
	}
	return loc, info.Transport, nil
}

// streamREST serves pods/exec, pods/attach and pods/portforward: an
// upgrade-aware proxy to the kubelet's /exec, /attach or /portForward. A
// WebSocket request (kubectl's default) is translated to SPDY towards the
// kubelet, as upstream does for kubelets that do not declare
// ExtendWebSocketsToKubelet; kubelet-lite declares nothing.
type streamREST struct {
	pods    rest.Getter
	conn    *kubeletConnections
	authz   authorizer.Authorizer
	path    string
	newOpts func() runtime.Object
}

var _ rest.Connecter = &streamREST{}

func (r *streamREST) New() runtime.Object { return r.newOpts() }

func (r *streamREST) Destroy() {}

// NewConnectOptions: the options come from the query, with no subpath.
func (r *streamREST) NewConnectOptions() (runtime.Object, bool, string) {
	return r.newOpts(), false, ""
}

// ConnectMethods: GET for WebSockets (browsers cannot POST an upgrade), POST for SPDY.
func (r *streamREST) ConnectMethods() []string { return []string{"GET", "POST"} }

func (r *streamREST) Connect(ctx context.Context, name string, opts runtime.Object, responder rest.Responder) (http.Handler, error) {
	if err := ensureAuthorizedForVerb(ctx, r.authz, "create"); err != nil {
		return nil, err
	}
	pod, err := getPod(ctx, r.pods, name)
	if err != nil {
		return nil, err
	}
	params := url.Values{}
	var streamOpts translator.Options
	path := "/" + r.path + "/" + pod.Namespace + "/" + pod.Name
	switch o := opts.(type) {
	case *corev1.PodExecOptions:
		container, err := validateContainer(o.Container, pod)
		if err != nil {
			return nil, err
		}
		path += "/" + container
		addStreamParams(params, o.Stdin, o.Stdout, o.Stderr, o.TTY)
		for _, c := range o.Command {
			params.Add("command", c)
		}
		streamOpts = translator.Options{Stdin: o.Stdin, Stdout: o.Stdout, Stderr: o.Stderr, Tty: o.TTY}
	case *corev1.PodAttachOptions:
		container, err := validateContainer(o.Container, pod)
		if err != nil {
			return nil, err
		}
		path += "/" + container
		addStreamParams(params, o.Stdin, o.Stdout, o.Stderr, o.TTY)
		streamOpts = translator.Options{Stdin: o.Stdin, Stdout: o.Stdout, Stderr: o.Stderr, Tty: o.TTY}
	case *corev1.PodPortForwardOptions:
		if len(o.Ports) > 0 {
			ports := make([]string, len(o.Ports))
			for i, p := range o.Ports {
				ports[i] = strconv.FormatInt(int64(p), 10)
			}
			params.Add(corev1.PortHeader, strings.Join(ports, ","))
		}
	default:
		return nil, fmt.Errorf("invalid options object: %#v", opts)
	}
	if pod.Spec.NodeName == "" {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("pod %s does not have a host assigned", name))
	}
	info, err := r.conn.GetConnectionInfo(ctx, pod.Spec.NodeName)
	if err != nil {
		return nil, err
	}
	location := &url.URL{Scheme: info.Scheme, Host: net.JoinHostPort(info.Hostname, info.Port), Path: path, RawQuery: params.Encode()}
	handler := proxy.NewUpgradeAwareHandler(location, info.Transport, false, true, proxy.NewErrorResponder(responder))
	if r.path == "portForward" {
		tunneling := translator.NewTunnelingHandler(handler)
		return translator.NewTranslatingHandler(handler, tunneling, wsstream.IsWebSocketRequestWithTunnelingProtocol), nil
	}
	streamTranslator := translator.NewStreamTranslatorHandler(location, info.Transport, 0, streamOpts)
	return translator.NewTranslatingHandler(handler, streamTranslator, wsstream.IsWebSocketRequestWithStreamCloseProtocol), nil
}

func addStreamParams(params url.Values, stdin, stdout, stderr, tty bool) {
	for _, p := range []struct {
		on  bool
		key string
	}{{stdin, corev1.ExecStdinParam}, {stdout, corev1.ExecStdoutParam}, {stderr, corev1.ExecStderrParam}, {tty, corev1.ExecTTYParam}} {
		if p.on {
			params.Add(p.key, "1")
		}
	}
}

// ensureAuthorizedForVerb is upstream's: a WebSocket exec arrives as a GET,
// which "get pods/exec" would allow, so the create permission is checked too.
func ensureAuthorizedForVerb(ctx context.Context, a authorizer.Authorizer, verb string) error {
	info, ok := genericapirequest.RequestInfoFrom(ctx)
	if !ok {
		return apierrors.NewInternalError(errors.New("no request info in context"))
	}
	if info.Verb == verb {
		return nil // already authorized
	}
	if a == nil {
		return apierrors.NewInternalError(errors.New("no authorizer available"))
	}
	attrs, err := filters.GetAuthorizerAttributes(ctx)
	if err != nil {
		return apierrors.NewInternalError(fmt.Errorf("error building authorizer attributes: %w", err))
	}
	decision, reason, err := a.Authorize(ctx, overrideVerb{Attributes: attrs, verb: verb})
	if err != nil {
		return err
	}
	if decision != authorizer.DecisionAllow {
		return apierrors.NewForbidden(schema.GroupResource{Group: info.APIGroup, Resource: info.Resource}, info.Name, errors.New(reason))
	}
	return nil
}

type overrideVerb struct {
	authorizer.Attributes
	verb string
}

func (o overrideVerb) GetVerb() string { return o.verb }

// proxyMethods are the methods the proxy subresources pass on.
var proxyMethods = []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}

// podProxyREST serves pods/proxy: to the pod IP and the given (or first
// declared) port; "https:name:port" proxies over TLS without verification,
// as upstream.
type podProxyREST struct {
	pods      rest.Getter
	transport http.RoundTripper
}

var _ rest.Connecter = &podProxyREST{}

func (r *podProxyREST) New() runtime.Object { return &corev1.PodProxyOptions{} }
func (r *podProxyREST) Destroy()            {}
func (r *podProxyREST) ConnectMethods() []string {
	return proxyMethods
}
func (r *podProxyREST) NewConnectOptions() (runtime.Object, bool, string) {
	return &corev1.PodProxyOptions{}, true, "path"
}

func (r *podProxyREST) Connect(ctx context.Context, id string, opts runtime.Object, responder rest.Responder) (http.Handler, error) {
	proxyOpts, ok := opts.(*corev1.PodProxyOptions)
	if !ok {
		return nil, fmt.Errorf("invalid options object: %#v", opts)
	}
	scheme, name, port, valid := utilnet.SplitSchemeNamePort(id)
	if !valid {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("invalid pod request %q", id))
	}
	pod, err := getPod(ctx, r.pods, name)
	if err != nil {
		return nil, err
	}
	if port == "" {
		for _, c := range pod.Spec.Containers {
			if len(c.Ports) > 0 {
				port = strconv.Itoa(int(c.Ports[0].ContainerPort))
				break
			}
		}
	}
	podIP := pod.Status.PodIP
	if len(pod.Status.PodIPs) > 0 {
		podIP = pod.Status.PodIPs[0].IP
	}
	if err := checkProxyableIP(net.ParseIP(podIP)); err != nil {
		return nil, apierrors.NewBadRequest(err.Error())
	}
	loc := &url.URL{Scheme: scheme, Host: podIP}
	if strings.Contains(podIP, ":") {
		loc.Host = "[" + podIP + "]"
	}
	if port != "" {
		loc.Host = net.JoinHostPort(podIP, port)
	}
	loc.Path = utilnet.JoinPreservingTrailingSlash(loc.Path, proxyOpts.Path)
	return proxy.NewUpgradeAwareHandler(loc, r.transport, true, false, proxy.NewErrorResponder(responder)), nil
}

// nodeProxyREST serves nodes/proxy: to the kubelet (with the apiserver's
// kubelet client certificate) when no port or the kubelet's port is asked
// for, else to another port of the node with the proxy transport.
type nodeProxyREST struct {
	conn      *kubeletConnections
	transport http.RoundTripper
}

var _ rest.Connecter = &nodeProxyREST{}

func (r *nodeProxyREST) New() runtime.Object { return &corev1.NodeProxyOptions{} }
func (r *nodeProxyREST) Destroy()            {}
func (r *nodeProxyREST) ConnectMethods() []string {
	return proxyMethods
}
func (r *nodeProxyREST) NewConnectOptions() (runtime.Object, bool, string) {
	return &corev1.NodeProxyOptions{}, true, "path"
}

func (r *nodeProxyREST) Connect(ctx context.Context, id string, opts runtime.Object, responder rest.Responder) (http.Handler, error) {
	proxyOpts, ok := opts.(*corev1.NodeProxyOptions)
	if !ok {
		return nil, fmt.Errorf("invalid options object: %#v", opts)
	}
	scheme, name, port, valid := utilnet.SplitSchemeNamePort(id)
	if !valid {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("invalid node request %q", id))
	}
	info, err := r.conn.GetConnectionInfo(ctx, name)
	if err != nil {
		return nil, err
	}
	if err := checkProxyableHost(ctx, info.Hostname); err != nil {
		return nil, apierrors.NewBadRequest(err.Error())
	}
	var loc *url.URL
	transport := r.transport
	if port == "" || port == info.Port {
		loc = &url.URL{Scheme: info.Scheme, Host: net.JoinHostPort(info.Hostname, info.Port)}
		transport = info.Transport
	} else {
		loc = &url.URL{Scheme: scheme, Host: net.JoinHostPort(info.Hostname, port)}
	}
	loc.Path = utilnet.JoinPreservingTrailingSlash(loc.Path, proxyOpts.Path)
	return proxy.NewUpgradeAwareHandler(loc, transport, true, false, proxy.NewErrorResponder(responder)), nil
}

// serviceProxyREST serves services/proxy: to a random ready endpoint of the
// service port, only if the endpoint is a pod of the namespace.
type serviceProxyREST struct {
	services  rest.Getter
	pods      rest.Getter
	slices    translator.EndpointSliceGetter
	transport http.RoundTripper
}

var _ rest.Connecter = &serviceProxyREST{}

func (r *serviceProxyREST) New() runtime.Object { return &corev1.ServiceProxyOptions{} }
func (r *serviceProxyREST) Destroy()            {}
func (r *serviceProxyREST) ConnectMethods() []string {
	return proxyMethods
}
func (r *serviceProxyREST) NewConnectOptions() (runtime.Object, bool, string) {
	return &corev1.ServiceProxyOptions{}, true, "path"
}

func (r *serviceProxyREST) Connect(ctx context.Context, id string, opts runtime.Object, responder rest.Responder) (http.Handler, error) {
	proxyOpts, ok := opts.(*corev1.ServiceProxyOptions)
	if !ok {
		return nil, fmt.Errorf("invalid options object: %#v", opts)
	}
	loc, err := r.location(ctx, id)
	if err != nil {
		return nil, err
	}
	loc.Path = utilnet.JoinPreservingTrailingSlash(loc.Path, proxyOpts.Path)
	return proxy.NewUpgradeAwareHandler(loc, r.transport, true, false, proxy.NewErrorResponder(responder)), nil
}

// location is upstream's service ResourceLocation.
func (r *serviceProxyREST) location(ctx context.Context, id string) (*url.URL, error) {
	scheme, name, portStr, valid := utilnet.SplitSchemeNamePort(id)
	if !valid {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("invalid service request %q", id))
	}
	obj, err := r.services.Get(ctx, name, &metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	svc := obj.(*corev1.Service)
	// A port number is translated to the service port's name.
	if portNum, err := strconv.ParseInt(portStr, 10, 64); err == nil {
		found := false
		for _, p := range svc.Spec.Ports {
			if int64(p.Port) == portNum {
				portStr, found = p.Name, true
				break
			}
		}
		if !found {
			return nil, apierrors.NewServiceUnavailable(fmt.Sprintf("no service port %d found for service %q", portNum, name))
		}
	}
	namespace := genericapirequest.NamespaceValue(ctx)
	if namespace == "" {
		return nil, apierrors.NewBadRequest("missing required namespace")
	}
	if r.slices == nil {
		return nil, apierrors.NewServiceUnavailable(fmt.Sprintf("no endpoints available for service %q", name))
	}
	slices, err := r.slices.GetEndpointSlices(namespace, name)
	if err != nil {
		return nil, apierrors.NewInternalError(err)
	}
	if len(slices) == 0 {
		return nil, apierrors.NewServiceUnavailable(fmt.Sprintf("no endpoints available for service %q", name))
	}
	family := corev1.IPv4Protocol
	if len(svc.Spec.IPFamilies) > 0 {
		family = svc.Spec.IPFamilies[0]
	}
	hostPort, err := translator.RandomEndpoint(name, slices, portStr, family, func(ep *discoveryEndpoint) bool {
		return r.isPodAddress(ctx, namespace, ep)
	})
	if err != nil {
		return nil, err
	}
	return &url.URL{Scheme: scheme, Host: hostPort}, nil
}

type discoveryEndpoint = discoveryv1.Endpoint

// isPodAddress accepts only endpoints that are pods of the namespace whose
// IPs include the endpoint's address: the proxy must not become a way to
// reach arbitrary addresses written into an EndpointSlice.
func (r *serviceProxyREST) isPodAddress(ctx context.Context, namespace string, ep *discoveryv1.Endpoint) bool {
	logger := klog.FromContext(ctx)
	if ep.TargetRef == nil || ep.TargetRef.Namespace != namespace {
		logger.V(4).Info("Endpoint is not a pod of the namespace, skipping", "endpoint", ep.Addresses)
		return false
	}
	pod, err := getPod(ctx, r.pods, ep.TargetRef.Name)
	if err != nil {
		logger.V(4).Info("Endpoint's pod is not readable, skipping", "pod", ep.TargetRef.Name, "err", err)
		return false
	}
	for _, ip := range pod.Status.PodIPs {
		for _, addr := range ep.Addresses {
			if ip.IP == addr {
				return true
			}
		}
	}
	return false
}

// validatePodLogOptions is ValidatePodLogOptions with PodLogsQuerySplitStreams
// off (alpha): stream must be unset or All.
func validatePodLogOptions(opts *corev1.PodLogOptions) field.ErrorList {
	var errs field.ErrorList
	if opts.TailLines != nil && *opts.TailLines < 0 {
		errs = append(errs, field.Invalid(field.NewPath("tailLines"), *opts.TailLines, "must be greater than or equal to 0"))
	}
	if opts.LimitBytes != nil && *opts.LimitBytes < 1 {
		errs = append(errs, field.Invalid(field.NewPath("limitBytes"), *opts.LimitBytes, "must be greater than 0"))
	}
	switch {
	case opts.SinceSeconds != nil && opts.SinceTime != nil:
		errs = append(errs, field.Forbidden(field.NewPath(""), "at most one of `sinceTime` or `sinceSeconds` may be specified"))
	case opts.SinceSeconds != nil && *opts.SinceSeconds < 1:
		errs = append(errs, field.Invalid(field.NewPath("sinceSeconds"), *opts.SinceSeconds, "must be greater than 0"))
	}
	if opts.Stream != nil {
		errs = append(errs, field.Forbidden(field.NewPath("stream"), "may not be specified"))
	}
	return errs
}
