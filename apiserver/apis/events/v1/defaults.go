package v1

import (
	"k8s.io/apimachinery/pkg/runtime"
)

// RegisterDefaults exists so that every served group is installed the same
// way. It registers nothing because upstream defines no defaults for
// events.k8s.io/v1 Event (its generated RegisterDefaults is empty, and the
// core Event it is converted through has none either): reporters must set the
// required fields themselves, and validation enforces that.
func RegisterDefaults(scheme *runtime.Scheme) error {
	return nil
}
