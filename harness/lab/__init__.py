"""The lab: the cluster, its addons, the harness's own objects (echo backends) and the pinned inputs
they are built from."""
