"""The typed verdict model: what a test saw, as data, from the probe to the renderer."""
