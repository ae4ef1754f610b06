"""Transfer policies and applications; the workflow is built on the foundation apps."""
