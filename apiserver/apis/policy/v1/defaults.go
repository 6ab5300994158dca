package v1

import (
	"k8s.io/apimachinery/pkg/runtime"
)

// RegisterDefaults exists so every served group is installed the same way;
// it registers nothing because upstream has no defaults for policy/v1 (its
// generated RegisterDefaults is empty too). Notably an unset
// spec.unhealthyPodEvictionPolicy is left unset, since the disruption logic
// treats nil as IfHealthyBudget.
func RegisterDefaults(scheme *runtime.Scheme) error {
	return nil
}
