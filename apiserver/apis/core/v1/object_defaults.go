package v1

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// This file stands in for upstream's defaulter-gen output
// (pkg/apis/core/v1/zz_generated.defaults.go): it walks each top-level type
// and applies the SetDefaults_* functions and the declarative (+default=)
// defaults of k8s.io/api/core/v1 to every nested field, in the same order.
// The pod-spec walk is shared through SetObjectDefaults_PodSpec because the
// generated code repeats it verbatim for every type that embeds a pod template.

// RegisterDefaults adds defaulters functions to the given scheme.
// Public to allow building arbitrary schemes.
// All defaulters are covering - they call all nested defaulters.
//
// PodLogOptions is not registered: its only defaulter is gated by
// PodLogsQuerySplitStreams, which is off in v1.37.
func RegisterDefaults(scheme *runtime.Scheme) error {
	scheme.AddTypeDefaultingFunc(&corev1.ConfigMap{}, func(obj interface{}) { SetObjectDefaults_ConfigMap(obj.(*corev1.ConfigMap)) })
	scheme.AddTypeDefaultingFunc(&corev1.ConfigMapList{}, func(obj interface{}) { SetObjectDefaults_ConfigMapList(obj.(*corev1.ConfigMapList)) })
	scheme.AddTypeDefaultingFunc(&corev1.Endpoints{}, func(obj interface{}) { SetObjectDefaults_Endpoints(obj.(*corev1.Endpoints)) })
	scheme.AddTypeDefaultingFunc(&corev1.EndpointsList{}, func(obj interface{}) { SetObjectDefaults_EndpointsList(obj.(*corev1.EndpointsList)) })
	scheme.AddTypeDefaultingFunc(&corev1.LimitRange{}, func(obj interface{}) { SetObjectDefaults_LimitRange(obj.(*corev1.LimitRange)) })
	scheme.AddTypeDefaultingFunc(&corev1.LimitRangeList{}, func(obj interface{}) { SetObjectDefaults_LimitRangeList(obj.(*corev1.LimitRangeList)) })
	scheme.AddTypeDefaultingFunc(&corev1.Namespace{}, func(obj interface{}) { SetObjectDefaults_Namespace(obj.(*corev1.Namespace)) })
	scheme.AddTypeDefaultingFunc(&corev1.NamespaceList{}, func(obj interface{}) { SetObjectDefaults_NamespaceList(obj.(*corev1.NamespaceList)) })
	scheme.AddTypeDefaultingFunc(&corev1.Node{}, func(obj interface{}) { SetObjectDefaults_Node(obj.(*corev1.Node)) })
	scheme.AddTypeDefaultingFunc(&corev1.NodeList{}, func(obj interface{}) { SetObjectDefaults_NodeList(obj.(*corev1.NodeList)) })
	scheme.AddTypeDefaultingFunc(&corev1.PersistentVolume{}, func(obj interface{}) { SetObjectDefaults_PersistentVolume(obj.(*corev1.PersistentVolume)) })
	scheme.AddTypeDefaultingFunc(&corev1.PersistentVolumeClaim{}, func(obj interface{}) { SetObjectDefaults_PersistentVolumeClaim(obj.(*corev1.PersistentVolumeClaim)) })
	scheme.AddTypeDefaultingFunc(&corev1.PersistentVolumeClaimList{}, func(obj interface{}) {
		SetObjectDefaults_PersistentVolumeClaimList(obj.(*corev1.PersistentVolumeClaimList))
	})
	scheme.AddTypeDefaultingFunc(&corev1.PersistentVolumeList{}, func(obj interface{}) { SetObjectDefaults_PersistentVolumeList(obj.(*corev1.PersistentVolumeList)) })
	scheme.AddTypeDefaultingFunc(&corev1.Pod{}, func(obj interface{}) { SetObjectDefaults_Pod(obj.(*corev1.Pod)) })
	scheme.AddTypeDefaultingFunc(&corev1.PodList{}, func(obj interface{}) { SetObjectDefaults_PodList(obj.(*corev1.PodList)) })
	scheme.AddTypeDefaultingFunc(&corev1.PodTemplate{}, func(obj interface{}) { SetObjectDefaults_PodTemplate(obj.(*corev1.PodTemplate)) })
	scheme.AddTypeDefaultingFunc(&corev1.PodTemplateList{}, func(obj interface{}) { SetObjectDefaults_PodTemplateList(obj.(*corev1.PodTemplateList)) })
	scheme.AddTypeDefaultingFunc(&corev1.ReplicationController{}, func(obj interface{}) { SetObjectDefaults_ReplicationController(obj.(*corev1.ReplicationController)) })
	scheme.AddTypeDefaultingFunc(&corev1.ReplicationControllerList{}, func(obj interface{}) {
		SetObjectDefaults_ReplicationControllerList(obj.(*corev1.ReplicationControllerList))
	})
	scheme.AddTypeDefaultingFunc(&corev1.ResourceQuota{}, func(obj interface{}) { SetObjectDefaults_ResourceQuota(obj.(*corev1.ResourceQuota)) })
	scheme.AddTypeDefaultingFunc(&corev1.ResourceQuotaList{}, func(obj interface{}) { SetObjectDefaults_ResourceQuotaList(obj.(*corev1.ResourceQuotaList)) })
	scheme.AddTypeDefaultingFunc(&corev1.Secret{}, func(obj interface{}) { SetObjectDefaults_Secret(obj.(*corev1.Secret)) })
	scheme.AddTypeDefaultingFunc(&corev1.SecretList{}, func(obj interface{}) { SetObjectDefaults_SecretList(obj.(*corev1.SecretList)) })
	scheme.AddTypeDefaultingFunc(&corev1.Service{}, func(obj interface{}) { SetObjectDefaults_Service(obj.(*corev1.Service)) })
	scheme.AddTypeDefaultingFunc(&corev1.ServiceList{}, func(obj interface{}) { SetObjectDefaults_ServiceList(obj.(*corev1.ServiceList)) })
	return nil
}

func SetObjectDefaults_ConfigMap(in *corev1.ConfigMap) {
	SetDefaults_ConfigMap(in)
}

func SetObjectDefaults_ConfigMapList(in *corev1.ConfigMapList) {
	for i := range in.Items {
		SetObjectDefaults_ConfigMap(&in.Items[i])
	}
}

func SetObjectDefaults_Endpoints(in *corev1.Endpoints) {
	SetDefaults_Endpoints(in)
}

func SetObjectDefaults_EndpointsList(in *corev1.EndpointsList) {
	for i := range in.Items {
		SetObjectDefaults_Endpoints(&in.Items[i])
	}
}

func SetObjectDefaults_LimitRange(in *corev1.LimitRange) {
	for i := range in.Spec.Limits {
		a := &in.Spec.Limits[i]
		SetDefaults_LimitRangeItem(a)
		SetDefaults_ResourceList(&a.Max)
		SetDefaults_ResourceList(&a.Min)
		SetDefaults_ResourceList(&a.Default)
		SetDefaults_ResourceList(&a.DefaultRequest)
		SetDefaults_ResourceList(&a.MaxLimitRequestRatio)
	}
}

func SetObjectDefaults_LimitRangeList(in *corev1.LimitRangeList) {
	for i := range in.Items {
		SetObjectDefaults_LimitRange(&in.Items[i])
	}
}

func SetObjectDefaults_Namespace(in *corev1.Namespace) {
	SetDefaults_Namespace(in)
	SetDefaults_NamespaceStatus(&in.Status)
}

func SetObjectDefaults_NamespaceList(in *corev1.NamespaceList) {
	for i := range in.Items {
		SetObjectDefaults_Namespace(&in.Items[i])
	}
}

func SetObjectDefaults_Node(in *corev1.Node) {
	SetDefaults_NodeStatus(&in.Status)
	SetDefaults_ResourceList(&in.Status.Capacity)
	SetDefaults_ResourceList(&in.Status.Allocatable)
}

func SetObjectDefaults_NodeList(in *corev1.NodeList) {
	for i := range in.Items {
		SetObjectDefaults_Node(&in.Items[i])
	}
}

func SetObjectDefaults_PersistentVolume(in *corev1.PersistentVolume) {
	SetDefaults_PersistentVolume(in)
	SetDefaults_ResourceList(&in.Spec.Capacity)
	if in.Spec.PersistentVolumeSource.HostPath != nil {
		SetDefaults_HostPathVolumeSource(in.Spec.PersistentVolumeSource.HostPath)
	}
	if rbd := in.Spec.PersistentVolumeSource.RBD; rbd != nil {
		if rbd.RBDPool == "" {
			rbd.RBDPool = "rbd"
		}
		if rbd.RadosUser == "" {
			rbd.RadosUser = "admin"
		}
		if rbd.Keyring == "" {
			rbd.Keyring = "/etc/ceph/keyring"
		}
	}
	if iscsi := in.Spec.PersistentVolumeSource.ISCSI; iscsi != nil {
		if iscsi.ISCSIInterface == "" {
			iscsi.ISCSIInterface = "default"
		}
	}
	if in.Spec.PersistentVolumeSource.AzureDisk != nil {
		setDefaultsAzureDiskVolumeSource(in.Spec.PersistentVolumeSource.AzureDisk)
	}
	if scaleIO := in.Spec.PersistentVolumeSource.ScaleIO; scaleIO != nil {
		if scaleIO.StorageMode == "" {
			scaleIO.StorageMode = "ThinProvisioned"
		}
		if scaleIO.FSType == "" {
			scaleIO.FSType = "xfs"
		}
	}
}

func SetObjectDefaults_PersistentVolumeList(in *corev1.PersistentVolumeList) {
	for i := range in.Items {
		SetObjectDefaults_PersistentVolume(&in.Items[i])
	}
}

func SetObjectDefaults_PersistentVolumeClaim(in *corev1.PersistentVolumeClaim) {
	SetDefaults_PersistentVolumeClaim(in)
	SetDefaults_PersistentVolumeClaimSpec(&in.Spec)
	SetDefaults_ResourceList(&in.Spec.Resources.Limits)
	SetDefaults_ResourceList(&in.Spec.Resources.Requests)
	SetDefaults_ResourceList(&in.Status.Capacity)
	SetDefaults_ResourceList(&in.Status.AllocatedResources)
}

func SetObjectDefaults_PersistentVolumeClaimList(in *corev1.PersistentVolumeClaimList) {
	for i := range in.Items {
		SetObjectDefaults_PersistentVolumeClaim(&in.Items[i])
	}
}

func SetObjectDefaults_Pod(in *corev1.Pod) {
	SetDefaults_Pod(in)
	SetObjectDefaults_PodSpec(&in.Spec)
	SetDefaults_PodStatus(&in.Status)
	for i := range in.Status.InitContainerStatuses {
		setObjectDefaultsContainerStatus(&in.Status.InitContainerStatuses[i])
	}
	for i := range in.Status.ContainerStatuses {
		setObjectDefaultsContainerStatus(&in.Status.ContainerStatuses[i])
	}
	for i := range in.Status.EphemeralContainerStatuses {
		setObjectDefaultsContainerStatus(&in.Status.EphemeralContainerStatuses[i])
	}
	SetDefaults_ResourceList(&in.Status.AllocatedResources)
	if in.Status.Resources != nil {
		SetDefaults_ResourceList(&in.Status.Resources.Limits)
		SetDefaults_ResourceList(&in.Status.Resources.Requests)
	}
}

func SetObjectDefaults_PodList(in *corev1.PodList) {
	for i := range in.Items {
		SetObjectDefaults_Pod(&in.Items[i])
	}
}

func SetObjectDefaults_PodTemplate(in *corev1.PodTemplate) {
	SetObjectDefaults_PodSpec(&in.Template.Spec)
}

func SetObjectDefaults_PodTemplateList(in *corev1.PodTemplateList) {
	for i := range in.Items {
		SetObjectDefaults_PodTemplate(&in.Items[i])
	}
}

func SetObjectDefaults_ReplicationController(in *corev1.ReplicationController) {
	SetDefaults_ReplicationController(in)
	if in.Spec.Replicas == nil {
		var ptrVar1 int32 = 1
		in.Spec.Replicas = &ptrVar1
	}
	if in.Spec.Template != nil {
		SetObjectDefaults_PodSpec(&in.Spec.Template.Spec)
	}
}

func SetObjectDefaults_ReplicationControllerList(in *corev1.ReplicationControllerList) {
	for i := range in.Items {
		SetObjectDefaults_ReplicationController(&in.Items[i])
	}
}

func SetObjectDefaults_ResourceQuota(in *corev1.ResourceQuota) {
	SetDefaults_ResourceList(&in.Spec.Hard)
	SetDefaults_ResourceList(&in.Status.Hard)
	SetDefaults_ResourceList(&in.Status.Used)
}

func SetObjectDefaults_ResourceQuotaList(in *corev1.ResourceQuotaList) {
	for i := range in.Items {
		SetObjectDefaults_ResourceQuota(&in.Items[i])
	}
}

func SetObjectDefaults_Secret(in *corev1.Secret) {
	SetDefaults_Secret(in)
}

func SetObjectDefaults_SecretList(in *corev1.SecretList) {
	for i := range in.Items {
		SetObjectDefaults_Secret(&in.Items[i])
	}
}

func SetObjectDefaults_Service(in *corev1.Service) {
	SetDefaults_Service(in)
	for i := range in.Spec.Ports {
		a := &in.Spec.Ports[i]
		if a.Protocol == "" {
			a.Protocol = "TCP"
		}
	}
}

func SetObjectDefaults_ServiceList(in *corev1.ServiceList) {
	for i := range in.Items {
		SetObjectDefaults_Service(&in.Items[i])
	}
}

// SetObjectDefaults_PodSpec applies every defaulter that upstream's generated
// code applies to a PodSpec reached through a pod template. Other API groups
// (apps, batch) call it on their templates so that a pod template is defaulted
// identically wherever it is embedded. It does not include SetDefaults_Pod,
// which upstream applies to Pod objects only.
func SetObjectDefaults_PodSpec(in *corev1.PodSpec) {
	SetDefaults_PodSpec(in)
	for i := range in.Volumes {
		setObjectDefaultsVolume(&in.Volumes[i])
	}
	for i := range in.InitContainers {
		setObjectDefaultsContainer(&in.InitContainers[i])
	}
	for i := range in.Containers {
		setObjectDefaultsContainer(&in.Containers[i])
	}
	for i := range in.EphemeralContainers {
		a := &in.EphemeralContainers[i]
		SetDefaults_EphemeralContainer(a)
		// EphemeralContainerCommon has Container's layout, and the generated
		// code applies the same nested defaults to it field by field.
		setObjectDefaultsContainerFields((*corev1.Container)(&a.EphemeralContainerCommon))
	}
	SetDefaults_ResourceList(&in.Overhead)
	if in.Resources != nil {
		SetDefaults_ResourceList(&in.Resources.Limits)
		SetDefaults_ResourceList(&in.Resources.Requests)
	}
}

func setObjectDefaultsVolume(a *corev1.Volume) {
	SetDefaults_Volume(a)
	if a.VolumeSource.HostPath != nil {
		SetDefaults_HostPathVolumeSource(a.VolumeSource.HostPath)
	}
	if a.VolumeSource.Secret != nil {
		SetDefaults_SecretVolumeSource(a.VolumeSource.Secret)
	}
	if iscsi := a.VolumeSource.ISCSI; iscsi != nil {
		if iscsi.ISCSIInterface == "" {
			iscsi.ISCSIInterface = "default"
		}
	}
	if rbd := a.VolumeSource.RBD; rbd != nil {
		if rbd.RBDPool == "" {
			rbd.RBDPool = "rbd"
		}
		if rbd.RadosUser == "" {
			rbd.RadosUser = "admin"
		}
		if rbd.Keyring == "" {
			rbd.Keyring = "/etc/ceph/keyring"
		}
	}
	if a.VolumeSource.DownwardAPI != nil {
		SetDefaults_DownwardAPIVolumeSource(a.VolumeSource.DownwardAPI)
		for j := range a.VolumeSource.DownwardAPI.Items {
			b := &a.VolumeSource.DownwardAPI.Items[j]
			if b.FieldRef != nil {
				SetDefaults_ObjectFieldSelector(b.FieldRef)
			}
		}
	}
	if a.VolumeSource.ConfigMap != nil {
		SetDefaults_ConfigMapVolumeSource(a.VolumeSource.ConfigMap)
	}
	if a.VolumeSource.AzureDisk != nil {
		setDefaultsAzureDiskVolumeSource(a.VolumeSource.AzureDisk)
	}
	if a.VolumeSource.Projected != nil {
		SetDefaults_ProjectedVolumeSource(a.VolumeSource.Projected)
		for j := range a.VolumeSource.Projected.Sources {
			b := &a.VolumeSource.Projected.Sources[j]
			if b.DownwardAPI != nil {
				for k := range b.DownwardAPI.Items {
					c := &b.DownwardAPI.Items[k]
					if c.FieldRef != nil {
						SetDefaults_ObjectFieldSelector(c.FieldRef)
					}
				}
			}
			if b.ServiceAccountToken != nil {
				SetDefaults_ServiceAccountTokenProjection(b.ServiceAccountToken)
			}
		}
	}
	if scaleIO := a.VolumeSource.ScaleIO; scaleIO != nil {
		if scaleIO.StorageMode == "" {
			scaleIO.StorageMode = "ThinProvisioned"
		}
		if scaleIO.FSType == "" {
			scaleIO.FSType = "xfs"
		}
	}
	if a.VolumeSource.Ephemeral != nil {
		if tmpl := a.VolumeSource.Ephemeral.VolumeClaimTemplate; tmpl != nil {
			SetDefaults_PersistentVolumeClaimSpec(&tmpl.Spec)
			SetDefaults_ResourceList(&tmpl.Spec.Resources.Limits)
			SetDefaults_ResourceList(&tmpl.Spec.Resources.Requests)
		}
	}
}

// setDefaultsAzureDiskVolumeSource holds the declarative (+default=) defaults
// of AzureDiskVolumeSource, which both pod volumes and PersistentVolumes use.
func setDefaultsAzureDiskVolumeSource(in *corev1.AzureDiskVolumeSource) {
	if in.CachingMode == nil {
		ptrVar1 := corev1.AzureDataDiskCachingMode(corev1.AzureDataDiskCachingReadWrite)
		in.CachingMode = &ptrVar1
	}
	if in.FSType == nil {
		var ptrVar1 string = "ext4"
		in.FSType = &ptrVar1
	}
	if in.ReadOnly == nil {
		var ptrVar1 bool = false
		in.ReadOnly = &ptrVar1
	}
	if in.Kind == nil {
		ptrVar1 := corev1.AzureDataDiskKind(corev1.AzureSharedBlobDisk)
		in.Kind = &ptrVar1
	}
}

func setObjectDefaultsContainer(a *corev1.Container) {
	SetDefaults_Container(a)
	setObjectDefaultsContainerFields(a)
}

// setObjectDefaultsContainerFields is the part of the generated container walk
// that follows SetDefaults_Container (or SetDefaults_EphemeralContainer).
func setObjectDefaultsContainerFields(a *corev1.Container) {
	for j := range a.Ports {
		b := &a.Ports[j]
		if b.Protocol == "" {
			b.Protocol = "TCP"
		}
	}
	for j := range a.Env {
		b := &a.Env[j]
		if b.ValueFrom != nil {
			if b.ValueFrom.FieldRef != nil {
				SetDefaults_ObjectFieldSelector(b.ValueFrom.FieldRef)
			}
			if b.ValueFrom.FileKeyRef != nil {
				if b.ValueFrom.FileKeyRef.Optional == nil {
					var ptrVar1 bool = false
					b.ValueFrom.FileKeyRef.Optional = &ptrVar1
				}
			}
		}
	}
	SetDefaults_ResourceList(&a.Resources.Limits)
	SetDefaults_ResourceList(&a.Resources.Requests)
	if a.LivenessProbe != nil {
		setObjectDefaultsProbe(a.LivenessProbe)
	}
	if a.ReadinessProbe != nil {
		setObjectDefaultsProbe(a.ReadinessProbe)
	}
	if a.StartupProbe != nil {
		setObjectDefaultsProbe(a.StartupProbe)
	}
	if a.Lifecycle != nil {
		if a.Lifecycle.PostStart != nil {
			if a.Lifecycle.PostStart.HTTPGet != nil {
				SetDefaults_HTTPGetAction(a.Lifecycle.PostStart.HTTPGet)
			}
		}
		if a.Lifecycle.PreStop != nil {
			if a.Lifecycle.PreStop.HTTPGet != nil {
				SetDefaults_HTTPGetAction(a.Lifecycle.PreStop.HTTPGet)
			}
		}
	}
}

func setObjectDefaultsProbe(p *corev1.Probe) {
	SetDefaults_Probe(p)
	if p.ProbeHandler.HTTPGet != nil {
		SetDefaults_HTTPGetAction(p.ProbeHandler.HTTPGet)
	}
	if p.ProbeHandler.GRPC != nil {
		if p.ProbeHandler.GRPC.Service == nil {
			var ptrVar1 string = ""
			p.ProbeHandler.GRPC.Service = &ptrVar1
		}
	}
}

func setObjectDefaultsContainerStatus(a *corev1.ContainerStatus) {
	SetDefaults_ResourceList(&a.AllocatedResources)
	if a.Resources != nil {
		SetDefaults_ResourceList(&a.Resources.Limits)
		SetDefaults_ResourceList(&a.Resources.Requests)
	}
}
