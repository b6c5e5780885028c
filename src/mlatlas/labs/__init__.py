"""Support code for the browser labs: the shared generator and the golden-vector writer."""
