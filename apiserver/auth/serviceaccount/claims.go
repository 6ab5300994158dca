package serviceaccount

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gopkg.in/go-jose/go-jose.v2/jwt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/uuid"
	apiserverserviceaccount "k8s.io/apiserver/pkg/authentication/serviceaccount"
	authenticationtokenjwt "k8s.io/apiserver/pkg/authentication/token/jwt"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"
)

const (
	// WarnOnlyBoundTokenExpirationSeconds is the expiry the ServiceAccount admission
	// plugin asks for in projected token volumes (an hour and 7 s): a pod-bound token
	// requested with exactly this lifetime is issued for ExpirationExtensionSeconds
	// instead, with a warnafter claim, so that clients that never reread their token
	// keep working while the apiserver notices them (--service-account-extend-token-expiration).
	WarnOnlyBoundTokenExpirationSeconds = 60*60 + 7

	// ExpirationExtensionSeconds is the extended lifetime of such tokens: a year.
	ExpirationExtensionSeconds = 24 * 365 * 60 * 60
)

// PrivateClaims are the "kubernetes.io" claims of a service account token.
type PrivateClaims struct {
	Kubernetes Kubernetes `json:"kubernetes.io,omitempty"`
}

// Kubernetes names the service account and the object the token is bound to.
type Kubernetes struct {
	Namespace string           `json:"namespace,omitempty"`
	Svcacct   Ref              `json:"serviceaccount,omitempty"`
	Pod       *Ref             `json:"pod,omitempty"`
	Secret    *Ref             `json:"secret,omitempty"`
	Node      *Ref             `json:"node,omitempty"`
	WarnAfter *jwt.NumericDate `json:"warnafter,omitempty"`
}

// Ref names an object by name and UID.
type Ref struct {
	Name string `json:"name,omitempty"`
	UID  string `json:"uid,omitempty"`
}

// Claims returns the claims of a token for sa issued at now, bound to pod (whose node,
// when known, is recorded too), secret or node, or to nothing; at most one of pod and
// secret, and node alone only when pod is nil. warnafter, when not zero, is the lifetime
// the client asked for, after which use of the token is logged (see
// WarnOnlyBoundTokenExpirationSeconds). Each token gets a unique ID (jti), as with
// upstream's ServiceAccountTokenJTI (GA).
func Claims(sa *corev1.ServiceAccount, pod *corev1.Pod, secret *corev1.Secret, node *corev1.Node, now time.Time, expirationSeconds, warnafter int64, audience []string) (*jwt.Claims, *PrivateClaims, error) {
	sc := &jwt.Claims{
		Subject:   apiserverserviceaccount.MakeUsername(sa.Namespace, sa.Name),
		Audience:  jwt.Audience(audience),
		IssuedAt:  jwt.NewNumericDate(now),
		NotBefore: jwt.NewNumericDate(now),
		Expiry:    jwt.NewNumericDate(now.Add(time.Duration(expirationSeconds) * time.Second)),
		ID:        string(uuid.NewUUID()),
	}
	pc := &PrivateClaims{Kubernetes: Kubernetes{
		Namespace: sa.Namespace,
		Svcacct:   Ref{Name: sa.Name, UID: string(sa.UID)},
	}}
	if secret != nil && (node != nil || pod != nil) {
		return nil, nil, errors.New("internal error, token can only be bound to one object type")
	}
	switch {
	case pod != nil:
		pc.Kubernetes.Pod = &Ref{Name: pod.Name, UID: string(pod.UID)}
		// The node a bound pod runs on is recorded too (ServiceAccountTokenPodNodeInfo,
		// GA), so that the token tells where it was meant to be used.
		if node != nil {
			pc.Kubernetes.Node = &Ref{Name: node.Name, UID: string(node.UID)}
		}
	case secret != nil:
		pc.Kubernetes.Secret = &Ref{Name: secret.Name, UID: string(secret.UID)}
	case node != nil:
		pc.Kubernetes.Node = &Ref{Name: node.Name, UID: string(node.UID)}
	}
	if warnafter != 0 {
		pc.Kubernetes.WarnAfter = jwt.NewNumericDate(now.Add(time.Duration(warnafter) * time.Second))
	}
	return sc, pc, nil
}

// NewValidator returns the validator of bound tokens: the service account, and the pod,
// secret or node a token is bound to, must still exist with the UID in the token
// (upstream's --service-account-lookup, always on in k1s). clock is injected for tests;
// nil means the real clock.
func NewValidator(getter ServiceAccountTokenGetter, clk clock.PassiveClock) Validator {
	if clk == nil {
		clk = clock.RealClock{}
	}
	return &validator{getter: getter, clock: clk}
}

type validator struct {
	getter ServiceAccountTokenGetter
	clock  clock.PassiveClock
}

func (v *validator) Validate(ctx context.Context, public *jwt.Claims, private *PrivateClaims) (*apiserverserviceaccount.ServiceAccountInfo, error) {
	logger := klog.FromContext(ctx)
	nowTime := v.clock.Now()
	switch err := public.Validate(jwt.Expected{Time: nowTime}); err {
	case nil:
	case jwt.ErrExpired:
		return nil, errors.New("service account token has expired")
	case jwt.ErrNotValidYet:
		return nil, errors.New("service account token is not valid yet")
	case jwt.ErrIssuedInTheFuture:
		return nil, errors.New("service account token is issued in the future")
	case jwt.ErrInvalidAudience, jwt.ErrInvalidID, jwt.ErrInvalidIssuer, jwt.ErrInvalidSubject:
		// jwt.Expected above asks for none of these: seeing one is a bug.
		logger.Error(err, "Service account token claim validation got unexpected validation failure")
		return nil, fmt.Errorf("service account token claims could not be validated: %w", err)
	default:
		// Opaque: an unexpected error must not leak details to the client.
		logger.Error(nil, "Service account token claim validation got unexpected error type", "type", fmt.Sprintf("%T", err))
		return nil, errors.New("service account token claims could not be validated due to unexpected validation error")
	}

	// Objects deleted more than the leeway ago no longer back a token (graceful deletion
	// leaves them visible for a while).
	invalidIfDeletedBefore := nowTime.Add(-jwt.DefaultLeeway)
	k := private.Kubernetes
	namespace := k.Namespace

	serviceAccount, err := v.getter.GetServiceAccount(ctx, namespace, k.Svcacct.Name)
	if err != nil {
		logger.V(4).Info("Could not retrieve service account", "serviceAccount", klog.KRef(namespace, k.Svcacct.Name), "err", err)
		return nil, err
	}
	if string(serviceAccount.UID) != k.Svcacct.UID {
		logger.V(4).Info("Service account UID no longer matches", "serviceAccount", klog.KRef(namespace, k.Svcacct.Name), "uid", serviceAccount.UID, "claim", k.Svcacct.UID)
		return nil, fmt.Errorf("service account UID (%s) does not match claim (%s)", serviceAccount.UID, k.Svcacct.UID)
	}
	if serviceAccount.DeletionTimestamp != nil && serviceAccount.DeletionTimestamp.Time.Before(invalidIfDeletedBefore) {
		return nil, fmt.Errorf("service account %s/%s has been deleted", namespace, k.Svcacct.Name)
	}

	if secref := k.Secret; secref != nil {
		secret, err := v.getter.GetSecret(ctx, namespace, secref.Name)
		if err != nil {
			logger.V(4).Info("Could not retrieve bound secret", "secret", klog.KRef(namespace, secref.Name), "err", err)
			return nil, errors.New("service account token has been invalidated")
		}
		if secref.UID != string(secret.UID) {
			return nil, fmt.Errorf("secret UID (%s) does not match service account secret ref claim (%s)", secret.UID, secref.UID)
		}
		if secret.DeletionTimestamp != nil && secret.DeletionTimestamp.Time.Before(invalidIfDeletedBefore) {
			return nil, errors.New("service account token has been invalidated")
		}
	}

	var podName, podUID string
	if podref := k.Pod; podref != nil {
		pod, err := v.getter.GetPod(ctx, namespace, podref.Name)
		if err != nil {
			logger.V(4).Info("Could not retrieve bound pod", "pod", klog.KRef(namespace, podref.Name), "err", err)
			return nil, errors.New("service account token has been invalidated")
		}
		if podref.UID != string(pod.UID) {
			return nil, fmt.Errorf("pod UID (%s) does not match service account pod ref claim (%s)", pod.UID, podref.UID)
		}
		if pod.DeletionTimestamp != nil && pod.DeletionTimestamp.Time.Before(invalidIfDeletedBefore) {
			return nil, errors.New("service account token has been invalidated")
		}
		podName, podUID = podref.Name, podref.UID
	}

	var nodeName, nodeUID string
	if noderef := k.Node; noderef != nil {
		if k.Pod != nil {
			// For pod-bound tokens the node is information only: the pod was checked.
			nodeName, nodeUID = noderef.Name, noderef.UID
		} else {
			node, err := v.getter.GetNode(ctx, noderef.Name)
			if err != nil {
				logger.V(4).Info("Could not retrieve bound node", "node", noderef.Name, "err", err)
				return nil, errors.New("service account token has been invalidated")
			}
			if noderef.UID != string(node.UID) {
				return nil, fmt.Errorf("node UID (%s) does not match service account node ref claim (%s)", node.UID, noderef.UID)
			}
			if node.DeletionTimestamp != nil && node.DeletionTimestamp.Time.Before(invalidIfDeletedBefore) {
				return nil, errors.New("service account token has been invalidated")
			}
			nodeName, nodeUID = noderef.Name, noderef.UID
		}
	}

	if warnafter := k.WarnAfter; warnafter != nil && *warnafter != 0 && nowTime.After(warnafter.Time()) {
		// Upstream records an audit annotation and a metric here; k1s logs.
		logger.V(2).Info("Stale service account token used", "subject", public.Subject, "secondsAfterWarning", nowTime.Unix()-warnafter.Time().Unix())
	}

	return &apiserverserviceaccount.ServiceAccountInfo{
		Namespace:    namespace,
		Name:         k.Svcacct.Name,
		UID:          k.Svcacct.UID,
		PodName:      podName,
		PodUID:       podUID,
		NodeName:     nodeName,
		NodeUID:      nodeUID,
		CredentialID: authenticationtokenjwt.CredentialIDForJTI(public.ID),
	}, nil
}
