package serviceaccount

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/storage/names"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/utils/ptr"
)

const (
	// PluginName is upstream's name.
	PluginName = "ServiceAccount"

	// DefaultServiceAccountName is the service account of pods that name none.
	DefaultServiceAccountName = "default"

	// EnforceMountableSecretsAnnotation on a service account, when "true", limits its
	// pods to the secrets it lists.
	EnforceMountableSecretsAnnotation = "kubernetes.io/enforce-mountable-secrets"

	// ServiceAccountVolumeName prefixes the name of the projected token volume.
	ServiceAccountVolumeName = "kube-api-access"

	// DefaultAPITokenMountPath is where containers find token, ca.crt and namespace.
	DefaultAPITokenMountPath = "/var/run/secrets/kubernetes.io/serviceaccount"

	// RootCACertConfigMapName is the ConfigMap the root CA publisher keeps in every
	// namespace; the projected volume reads ca.crt from it.
	RootCACertConfigMapName = "kube-root-ca.crt"

	// WarnOnlyBoundTokenExpirationSeconds is the token lifetime the projected volume asks
	// for: one hour and 7 s, the odd value by which the apiserver recognises (and may
	// extend) tokens of projected volumes.
	WarnOnlyBoundTokenExpirationSeconds = 60*60 + 7

	// defaultLookupAttempts is how often a missing "default" service account is looked up
	// live before the pod is refused: the serviceaccounts controller creates it just after
	// the namespace, and a pod created at once must not fail for that.
	defaultLookupAttempts = 10
)

// Plugin is the ServiceAccount admission plugin.
type Plugin struct {
	*admission.Handler

	// LimitSecretReferences refuses pods that reference secrets their service account
	// does not list, for every service account (upstream leaves it off).
	LimitSecretReferences bool
	// MountServiceAccountToken adds the projected token volume (upstream: on).
	MountServiceAccountToken bool

	client               kubernetes.Interface
	serviceAccountLister corelisters.ServiceAccountLister
	generateName         func(string) string
	// sleep waits between live lookups; tests replace it.
	sleep func(time.Duration)
}

var (
	_ admission.MutationInterface   = &Plugin{}
	_ admission.ValidationInterface = &Plugin{}
)

// New returns the plugin, reading service accounts from factory's informer and, on a
// miss, through client.
func New(client kubernetes.Interface, factory informers.SharedInformerFactory) *Plugin {
	informer := factory.Core().V1().ServiceAccounts()
	p := &Plugin{
		// Update too, as upstream, though only creates are acted on.
		Handler:                  admission.NewHandler(admission.Create, admission.Update),
		MountServiceAccountToken: true,
		client:                   client,
		serviceAccountLister:     informer.Lister(),
		generateName:             names.SimpleNameGenerator.GenerateName,
		sleep:                    time.Sleep,
	}
	p.SetReadyFunc(informer.Informer().HasSynced)
	return p
}

// Admit defaults the service account and mounts its token.
func (s *Plugin) Admit(ctx context.Context, a admission.Attributes, o admission.ObjectInterfaces) error {
	if shouldIgnore(a) || a.GetOperation() != admission.Create {
		return nil
	}
	pod := a.GetObject().(*corev1.Pod)

	// A mirror pod's spec must stay the kubelet's own, or the kubelet sees a mismatch
	// and deletes it at once; it is only validated.
	if _, isMirrorPod := pod.Annotations[corev1.MirrorPodAnnotationKey]; isMirrorPod {
		return s.Validate(ctx, a, o)
	}

	// Keep the deprecated alias in step, as defaulting does, or validation refuses the pod.
	if pod.Spec.ServiceAccountName == "" {
		pod.Spec.ServiceAccountName = DefaultServiceAccountName
		pod.Spec.DeprecatedServiceAccount = DefaultServiceAccountName //nolint:staticcheck // SA1019 kept in sync for old clients
	}

	serviceAccount, err := s.getServiceAccount(ctx, a.GetNamespace(), pod.Spec.ServiceAccountName)
	if err != nil {
		return admission.NewForbidden(a, fmt.Errorf("error looking up service account %s/%s: %w", a.GetNamespace(), pod.Spec.ServiceAccountName, err))
	}
	if s.MountServiceAccountToken && shouldAutomount(serviceAccount, pod) {
		s.mountServiceAccountToken(pod)
	}
	if len(pod.Spec.ImagePullSecrets) == 0 {
		pod.Spec.ImagePullSecrets = make([]corev1.LocalObjectReference, len(serviceAccount.ImagePullSecrets))
		for i, ref := range serviceAccount.ImagePullSecrets {
			pod.Spec.ImagePullSecrets[i].Name = ref.Name
		}
	}
	return s.Validate(ctx, a, o)
}

// Validate checks that the pod's service account exists and may be used as it is.
func (s *Plugin) Validate(ctx context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	if shouldIgnore(a) || a.GetOperation() != admission.Create {
		return nil
	}
	pod := a.GetObject().(*corev1.Pod)

	if _, isMirrorPod := pod.Annotations[corev1.MirrorPodAnnotationKey]; isMirrorPod {
		if pod.Spec.ServiceAccountName != "" {
			return admission.NewForbidden(a, fmt.Errorf("a mirror pod may not reference service accounts"))
		}
		if hasSecretReferences(pod) {
			return admission.NewForbidden(a, fmt.Errorf("a mirror pod may not reference secrets"))
		}
		for _, v := range pod.Spec.Volumes {
			if v.Projected == nil {
				continue
			}
			for _, source := range v.Projected.Sources {
				if source.ServiceAccountToken != nil {
					return admission.NewForbidden(a, fmt.Errorf("a mirror pod may not use ServiceAccountToken volume projections"))
				}
			}
		}
		return nil
	}

	if pod.Spec.ServiceAccountName == "" {
		return admission.NewForbidden(a, fmt.Errorf("no service account specified for pod %s/%s", a.GetNamespace(), pod.Name))
	}
	serviceAccount, err := s.getServiceAccount(ctx, a.GetNamespace(), pod.Spec.ServiceAccountName)
	if err != nil {
		return admission.NewForbidden(a, fmt.Errorf("error looking up service account %s/%s: %v", a.GetNamespace(), pod.Spec.ServiceAccountName, err))
	}
	if s.enforceMountableSecrets(serviceAccount) {
		if err := limitSecretReferences(serviceAccount, pod); err != nil {
			return admission.NewForbidden(a, err)
		}
	}
	return nil
}

func shouldIgnore(a admission.Attributes) bool {
	if a.GetResource().GroupResource() != corev1.Resource("pods") || a.GetSubresource() != "" {
		return true
	}
	_, ok := a.GetObject().(*corev1.Pod)
	return !ok
}

// shouldAutomount: the pod's preference wins, then the service account's, then yes.
func shouldAutomount(sa *corev1.ServiceAccount, pod *corev1.Pod) bool {
	if pod.Spec.AutomountServiceAccountToken != nil {
		return *pod.Spec.AutomountServiceAccountToken
	}
	if sa.AutomountServiceAccountToken != nil {
		return *sa.AutomountServiceAccountToken
	}
	return true
}

func (s *Plugin) enforceMountableSecrets(sa *corev1.ServiceAccount) bool {
	if s.LimitSecretReferences {
		return true
	}
	if value, ok := sa.Annotations[EnforceMountableSecretsAnnotation]; ok {
		enforce, _ := strconv.ParseBool(value)
		return enforce
	}
	return false
}

// getServiceAccount reads the service account from the informer, then live.
func (s *Plugin) getServiceAccount(ctx context.Context, namespace, name string) (*corev1.ServiceAccount, error) {
	serviceAccount, err := s.serviceAccountLister.ServiceAccounts(namespace).Get(name)
	if err == nil {
		return serviceAccount, nil
	}
	if !apierrors.IsNotFound(err) {
		return nil, err
	}
	attempts := 1
	if name == DefaultServiceAccountName {
		attempts = defaultLookupAttempts
	}
	retryInterval := time.Duration(rand.Int64N(100)+100) * time.Millisecond
	for i := range attempts {
		if i != 0 {
			s.sleep(retryInterval)
		}
		serviceAccount, err := s.client.CoreV1().ServiceAccounts(namespace).Get(ctx, name, metav1.GetOptions{})
		if err == nil {
			return serviceAccount, nil
		}
		if !apierrors.IsNotFound(err) {
			return nil, err
		}
	}
	return nil, apierrors.NewNotFound(corev1.Resource("serviceaccount"), name)
}

func limitSecretReferences(sa *corev1.ServiceAccount, pod *corev1.Pod) error {
	mountable := sets.New[string]()
	for _, s := range sa.Secrets {
		mountable.Insert(s.Name)
	}
	for _, volume := range pod.Spec.Volumes {
		if volume.Secret == nil {
			continue
		}
		if name := volume.Secret.SecretName; !mountable.Has(name) {
			return fmt.Errorf("volume with secret.secretName=\"%s\" is not allowed because service account %s does not reference that secret", name, sa.Name)
		}
	}
	check := func(kind string, containers []corev1.Container) error {
		for _, c := range containers {
			for _, env := range c.Env {
				if env.ValueFrom != nil && env.ValueFrom.SecretKeyRef != nil && !mountable.Has(env.ValueFrom.SecretKeyRef.Name) {
					return fmt.Errorf("%s %s with envVar %s referencing secret.secretName=\"%s\" is not allowed because service account %s does not reference that secret", kind, c.Name, env.Name, env.ValueFrom.SecretKeyRef.Name, sa.Name)
				}
			}
			for _, envFrom := range c.EnvFrom {
				if envFrom.SecretRef != nil && !mountable.Has(envFrom.SecretRef.Name) {
					return fmt.Errorf("%s %s with envFrom referencing secret.secretName=\"%s\" is not allowed because service account %s does not reference that secret", kind, c.Name, envFrom.SecretRef.Name, sa.Name)
				}
			}
		}
		return nil
	}
	if err := check("init container", pod.Spec.InitContainers); err != nil {
		return err
	}
	if err := check("container", pod.Spec.Containers); err != nil {
		return err
	}
	pullSecrets := sets.New[string]()
	for _, s := range sa.ImagePullSecrets {
		pullSecrets.Insert(s.Name)
	}
	for i, ref := range pod.Spec.ImagePullSecrets {
		if !pullSecrets.Has(ref.Name) {
			return fmt.Errorf(`imagePullSecrets[%d].name="%s" is not allowed because service account %s does not reference that imagePullSecret`, i, ref.Name, sa.Name)
		}
	}
	return nil
}

// mountServiceAccountToken mounts the token volume (an existing kube-api-access-* one, or
// a new one) in every container without a mount at DefaultAPITokenMountPath.
func (s *Plugin) mountServiceAccountToken(pod *corev1.Pod) {
	tokenVolumeName := ""
	for _, volume := range pod.Spec.Volumes {
		if strings.HasPrefix(volume.Name, ServiceAccountVolumeName+"-") {
			tokenVolumeName = volume.Name
			break
		}
	}
	hasTokenVolume := tokenVolumeName != ""
	if !hasTokenVolume {
		tokenVolumeName = s.generateName(ServiceAccountVolumeName + "-")
	}
	volumeMount := corev1.VolumeMount{Name: tokenVolumeName, ReadOnly: true, MountPath: DefaultAPITokenMountPath}

	needsTokenVolume := false
	mount := func(containers []corev1.Container) {
		for i := range containers {
			existing := false
			for _, m := range containers[i].VolumeMounts {
				if m.MountPath == DefaultAPITokenMountPath {
					existing = true
					break
				}
			}
			if !existing {
				containers[i].VolumeMounts = append(containers[i].VolumeMounts, volumeMount)
				needsTokenVolume = true
			}
		}
	}
	mount(pod.Spec.InitContainers)
	mount(pod.Spec.Containers)

	if !hasTokenVolume && needsTokenVolume {
		pod.Spec.Volumes = append(pod.Spec.Volumes, corev1.Volume{
			Name:         tokenVolumeName,
			VolumeSource: corev1.VolumeSource{Projected: TokenVolumeSource()},
		})
	}
}

// TokenVolumeSource returns the projected volume of a pod's service account token, with
// every default set explicitly: admission runs after defaulting, so nothing else would
// fill them in.
func TokenVolumeSource() *corev1.ProjectedVolumeSource {
	return &corev1.ProjectedVolumeSource{
		DefaultMode: ptr.To[int32](corev1.ProjectedVolumeSourceDefaultMode),
		Sources: []corev1.VolumeProjection{
			{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{
				Path:              "token",
				ExpirationSeconds: ptr.To[int64](WarnOnlyBoundTokenExpirationSeconds),
			}},
			{ConfigMap: &corev1.ConfigMapProjection{
				LocalObjectReference: corev1.LocalObjectReference{Name: RootCACertConfigMapName},
				Items:                []corev1.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}},
			}},
			{DownwardAPI: &corev1.DownwardAPIProjection{
				Items: []corev1.DownwardAPIVolumeFile{{
					Path:     "namespace",
					FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.namespace"},
				}},
			}},
		},
	}
}

// hasSecretReferences reports whether pod names any secret (upstream's
// podutil.VisitPodSecretNames over all containers, which exists only for internal types).
func hasSecretReferences(pod *corev1.Pod) bool {
	for _, ref := range pod.Spec.ImagePullSecrets {
		if ref.Name != "" {
			return true
		}
	}
	var containers []corev1.Container
	containers = append(containers, pod.Spec.InitContainers...)
	containers = append(containers, pod.Spec.Containers...)
	for _, ec := range pod.Spec.EphemeralContainers {
		containers = append(containers, corev1.Container{Env: ec.Env, EnvFrom: ec.EnvFrom})
	}
	for _, c := range containers {
		for _, env := range c.EnvFrom {
			if env.SecretRef != nil && env.SecretRef.Name != "" {
				return true
			}
		}
		for _, env := range c.Env {
			if env.ValueFrom != nil && env.ValueFrom.SecretKeyRef != nil && env.ValueFrom.SecretKeyRef.Name != "" {
				return true
			}
		}
	}
	named := func(ref *corev1.LocalObjectReference) bool { return ref != nil && ref.Name != "" }
	for _, v := range pod.Spec.Volumes {
		switch s := v.VolumeSource; {
		case s.AzureFile != nil:
			if s.AzureFile.SecretName != "" {
				return true
			}
		case s.CephFS != nil:
			if named(s.CephFS.SecretRef) {
				return true
			}
		case s.Cinder != nil:
			if named(s.Cinder.SecretRef) {
				return true
			}
		case s.FlexVolume != nil:
			if named(s.FlexVolume.SecretRef) {
				return true
			}
		case s.Projected != nil:
			for _, source := range s.Projected.Sources {
				if source.Secret != nil && source.Secret.Name != "" {
					return true
				}
			}
		case s.RBD != nil:
			if named(s.RBD.SecretRef) {
				return true
			}
		case s.Secret != nil:
			if s.Secret.SecretName != "" {
				return true
			}
		case s.ScaleIO != nil:
			if named(s.ScaleIO.SecretRef) {
				return true
			}
		case s.ISCSI != nil:
			if named(s.ISCSI.SecretRef) {
				return true
			}
		case s.StorageOS != nil:
			if named(s.StorageOS.SecretRef) {
				return true
			}
		case s.CSI != nil:
			if named(s.CSI.NodePublishSecretRef) {
				return true
			}
		}
	}
	return false
}
