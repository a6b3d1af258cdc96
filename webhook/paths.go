package webhook

// Paths of the webhooks, shared with the manifests' webhook configurations.
const (
	MutatePVCPath            = "/mutate/persistentvolumeclaims"
	ValidatePVCPath          = "/validate/persistentvolumeclaims"
	MutateStorageClassPath   = "/mutate/storageclasses"
	ValidateStorageClassPath = "/validate/storageclasses"
	MutatePodPath            = "/mutate/pods"
)

// Annotations volplace reads.
const (
	// AnnNamespaceDefaultClass on a Namespace names the default
	// StorageClass of claims created in it.
	AnnNamespaceDefaultClass = "volplace.io/default-storage-class"
	// AnnDefaultClass marks a StorageClass as the default for volplace
	// only, so that kube-apiserver's DefaultStorageClass plugin, which runs
	// before webhooks, leaves claims without a class to volplace.
	AnnDefaultClass = "volplace.io/is-default-class"
	// AnnAccessModes on a StorageClass lists the access modes its
	// provisioner supports, comma-separated.
	AnnAccessModes = "volplace.io/access-modes"
	// AnnAllowDeleteInUse on a claim lets it be deleted while pods use it.
	AnnAllowDeleteInUse = "volplace.io/allow-delete-in-use"
	// AnnKeepImmediate on a StorageClass keeps volumeBindingMode Immediate
	// where volplace would otherwise set WaitForFirstConsumer.
	AnnKeepImmediate = "volplace.io/keep-immediate-binding"
	// StorageResource is the extended resource added to pods with claims,
	// for kube-scheduler's managedResources.
	StorageResource = "volplace.io/storage"
	// LabelSchedulerOptOut, "true" on a pod, keeps its schedulerName.
	LabelSchedulerOptOut = "volplace.io/scheduler-opt-out"
	// defaultScheduler is the schedulerName kube-apiserver gives pods
	// without one.
	defaultScheduler = "default-scheduler"

	annBetaStorageClass = "volume.beta.kubernetes.io/storage-class"
	noProvisioner       = "kubernetes.io/no-provisioner"
)
