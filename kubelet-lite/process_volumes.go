package kubeletlite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"
)

// Projected volumes for the process runtime. Processes share the host's file
// system, so nothing is mounted: each projected volume of a pod (the
// kube-api-access-* volume the ServiceAccount admission adds, or one of the
// pod's own made of serviceAccountToken, configMap, secret and downwardAPI
// sources) is written to <pod dir>/_volumes/<volume>/, and a container that
// mounts one at /var/run/secrets/kubernetes.io/serviceaccount finds it
// through $K1S_SERVICEACCOUNT_DIR. Tokens are requested bound to the pod
// (TokenRequest, as the kubelet's token manager does) and rewritten at 80% of
// their lifetime. Other volume types are not materialised.

const (
	// defaultTokenExpiration is the projected token's default lifetime when
	// the source does not say (the admission sets 3607 s).
	defaultTokenExpiration int64 = 3600
	// volumeRetryPeriod is how soon a volume that could not be written is
	// retried.
	volumeRetryPeriod = 10 * time.Second
)

// prepareVolumes writes the pod's projected volumes; on failure containers
// wait with CreateContainerConfigError until a retry succeeds.
func (w *podWorker) prepareVolumes(now time.Time) {
	ctx := w.m.ctx
	w.volumeRefreshAt = time.Time{}
	if w.volumeDirs == nil {
		w.volumeDirs = map[string]string{}
	}
	var refresh time.Duration
	hadErr := w.volumeErr != ""
	w.volumeErr = ""
	for i := range w.pod.Spec.Volumes {
		v := &w.pod.Spec.Volumes[i]
		if v.Projected == nil {
			continue
		}
		dir := filepath.Join(w.podDir(), "_volumes", v.Name)
		lifetime, err := w.writeProjected(ctx, dir, v.Projected)
		if err != nil {
			w.volumeErr = fmt.Sprintf("volume %q: %v", v.Name, err)
			klog.FromContext(ctx).Info("Could not write a projected volume; will retry", "pod", klog.KObj(w.pod), "volume", v.Name, "err", err.Error())
			w.volumeRefreshAt = now.Add(volumeRetryPeriod)
			return
		}
		w.volumeDirs[v.Name] = dir
		if lifetime > 0 && (refresh == 0 || lifetime*8/10 < refresh) {
			refresh = lifetime * 8 / 10
		}
	}
	if refresh > 0 {
		w.volumeRefreshAt = now.Add(refresh)
	}
	if hadErr && !w.terminating && !w.terminal {
		// Containers held back by the error start now.
		if !w.initialized {
			w.startInits(now)
			return
		}
		for _, c := range w.containers {
			if c.state == stateWaiting && c.waitingReason == reasonCreateContainerConfigError {
				w.start(c, now)
			}
		}
	}
}

// writeProjected writes one projected volume and returns the shortest token
// lifetime in it (0 without tokens).
func (w *podWorker) writeProjected(ctx context.Context, dir string, p *corev1.ProjectedVolumeSource) (time.Duration, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	mode := os.FileMode(0o644)
	if p.DefaultMode != nil {
		mode = os.FileMode(*p.DefaultMode)
	}
	var lifetime time.Duration
	write := func(path string, data []byte, itemMode *int32) error {
		m := mode
		if itemMode != nil {
			m = os.FileMode(*itemMode)
		}
		return writeFileAtomic(filepath.Join(dir, filepath.Clean("/" + path)[1:]), data, m)
	}
	for _, src := range p.Sources {
		switch {
		case src.ServiceAccountToken != nil:
			sat := src.ServiceAccountToken
			exp := defaultTokenExpiration
			if sat.ExpirationSeconds != nil {
				exp = *sat.ExpirationSeconds
			}
			var audiences []string
			if sat.Audience != "" {
				audiences = []string{sat.Audience}
			}
			sa := w.pod.Spec.ServiceAccountName
			if sa == "" {
				sa = "default"
			}
			tr, err := w.m.k.client.CoreV1().ServiceAccounts(w.pod.Namespace).CreateToken(ctx, sa, &authenticationv1.TokenRequest{
				Spec: authenticationv1.TokenRequestSpec{
					Audiences:         audiences,
					ExpirationSeconds: &exp,
					BoundObjectRef:    &authenticationv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: w.pod.Name, UID: w.uid},
				},
			}, metav1.CreateOptions{})
			if err != nil {
				return 0, fmt.Errorf("requesting a token for service account %s/%s: %w", w.pod.Namespace, sa, err)
			}
			if d := time.Until(tr.Status.ExpirationTimestamp.Time); d > 0 && (lifetime == 0 || d < lifetime) {
				lifetime = d
			}
			if err := write(sat.Path, []byte(tr.Status.Token), nil); err != nil {
				return 0, err
			}
		case src.ConfigMap != nil:
			data, err := w.configMapData(ctx, src.ConfigMap.Name, src.ConfigMap.Optional)
			if err != nil {
				return 0, err
			}
			if err := writeKeys(data, src.ConfigMap.Items, write); err != nil {
				return 0, err
			}
		case src.Secret != nil:
			data, err := w.secretData(ctx, src.Secret.Name, src.Secret.Optional)
			if err != nil {
				return 0, err
			}
			if err := writeKeys(data, src.Secret.Items, write); err != nil {
				return 0, err
			}
		case src.DownwardAPI != nil:
			for _, item := range src.DownwardAPI.Items {
				if item.FieldRef == nil {
					continue
				}
				v, err := w.fieldValue(item.FieldRef.FieldPath)
				if err != nil {
					return 0, err
				}
				if err := write(item.Path, []byte(v), item.Mode); err != nil {
					return 0, err
				}
			}
		}
	}
	return lifetime, nil
}

func writeKeys(data map[string]string, items []corev1.KeyToPath, write func(string, []byte, *int32) error) error {
	if len(items) == 0 {
		for _, key := range sortedKeys(data) {
			if err := write(key, []byte(data[key]), nil); err != nil {
				return err
			}
		}
		return nil
	}
	for _, it := range items {
		v, ok := data[it.Key]
		if !ok {
			return fmt.Errorf("key %q not found", it.Key)
		}
		if err := write(it.Path, []byte(v), it.Mode); err != nil {
			return err
		}
	}
	return nil
}

func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-")
	if err != nil {
		return err
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if err := firstErr(werr, cerr, os.Chmod(tmp.Name(), mode)); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// configMapData reads a ConfigMap the pod references (the Node authorizer
// lets a kubelet read exactly those). A missing optional one is empty.
func (w *podWorker) configMapData(ctx context.Context, name string, optional *bool) (map[string]string, error) {
	cm, err := w.m.k.client.CoreV1().ConfigMaps(w.pod.Namespace).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) && optional != nil && *optional {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("configmap %q: %w", name, err)
	}
	data := map[string]string{}
	for k, v := range cm.Data {
		data[k] = v
	}
	for k, v := range cm.BinaryData {
		data[k] = string(v)
	}
	return data, nil
}

func (w *podWorker) secretData(ctx context.Context, name string, optional *bool) (map[string]string, error) {
	s, err := w.m.k.client.CoreV1().Secrets(w.pod.Namespace).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) && optional != nil && *optional {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("secret %q: %w", name, err)
	}
	data := map[string]string{}
	for k, v := range s.Data {
		data[k] = string(v)
	}
	for k, v := range s.StringData {
		data[k] = v
	}
	return data, nil
}

// serviceAccountDir is where the volume the container mounts at the service
// account path was written, or "".
func (w *podWorker) serviceAccountDir(spec *corev1.Container) string {
	for _, m := range spec.VolumeMounts {
		if filepath.Clean(m.MountPath) == serviceAccountMountPath {
			return w.volumeDirs[m.Name]
		}
	}
	return ""
}
