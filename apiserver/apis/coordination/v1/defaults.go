package v1

import (
	"k8s.io/apimachinery/pkg/runtime"
)

// RegisterDefaults exists so that every served group is installed the same
// way. It registers nothing because upstream defines no defaults for
// coordination.k8s.io/v1 (its generated RegisterDefaults is empty too); an
// unset LeaseSpec field is stored unset.
func RegisterDefaults(scheme *runtime.Scheme) error {
	return nil
}
