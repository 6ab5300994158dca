package core

import (
	"fmt"
	"net/url"
	"reflect"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/conversion"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"

	"github.com/k1s-dev/k1s/apiserver/scheme"
)

// The query parameters of pods/log, pods/exec, ... decode into their options
// types through the scheme (the API installer calls the ParameterCodec).
// k8s.io/api brings the types but not the url.Values conversions, which are
// generated inside k8s.io/kubernetes, so they are built here from the JSON
// field names with apimachinery's own per-type converters (the same ones the
// generated code calls), giving upstream's parsing of each value.

// connectOptionTypes are the option types of the connect and log subresources.
var connectOptionTypes = []any{
	&corev1.PodLogOptions{}, &corev1.PodExecOptions{}, &corev1.PodAttachOptions{},
	&corev1.PodPortForwardOptions{}, &corev1.PodProxyOptions{}, &corev1.NodeProxyOptions{},
	&corev1.ServiceProxyOptions{},
}

// The conversions go into the shared scheme at init: registering them later
// would race with servers of the same process already decoding requests.
func init() {
	utilruntime.Must(AddConnectOptionConversions(scheme.Scheme))
}

// AddConnectOptionConversions registers url.Values conversions for the
// connect and log subresources' options.
func AddConnectOptionConversions(s *runtime.Scheme) error {
	for _, t := range connectOptionTypes {
		if err := s.AddConversionFunc((*url.Values)(nil), t, func(a, b any, scope conversion.Scope) error {
			return decodeQuery(*a.(*url.Values), b, scope)
		}); err != nil {
			return fmt.Errorf("registering query conversion for %T: %w", t, err)
		}
	}
	return nil
}

// decodeQuery fills the exported, JSON-named fields of out from q.
func decodeQuery(q url.Values, out any, scope conversion.Scope) error {
	v := reflect.ValueOf(out).Elem()
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous {
			continue // TypeMeta
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		values, ok := q[name]
		if name == "" || !ok {
			continue
		}
		field := v.Field(i).Addr().Interface()
		var err error
		switch p := field.(type) {
		case *string:
			err = runtime.Convert_Slice_string_To_string(&values, p, scope)
		case *bool:
			err = runtime.Convert_Slice_string_To_bool(&values, p, scope)
		case **int64:
			err = runtime.Convert_Slice_string_To_Pointer_int64(&values, p, scope)
		case **metav1.Time:
			err = metav1.Convert_Slice_string_To_Pointer_v1_Time(&values, p, scope)
		case *[]string:
			*p = append([]string(nil), values...)
		case *[]int32:
			err = metav1.Convert_Slice_string_To_Slice_int32(&values, p, scope)
		case **string:
			if len(values) > 0 {
				s := values[0]
				*p = &s
			}
		default:
			return fmt.Errorf("query parameter %q: unsupported field type %T", name, field)
		}
		if err != nil {
			return fmt.Errorf("query parameter %q: %w", name, err)
		}
	}
	return nil
}
