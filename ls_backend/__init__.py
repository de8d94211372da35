"""Label Studio ML backend of MCR Studio (server, pipeline, model store). See README.md."""
