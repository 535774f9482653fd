//! GS1 keys and the GS1 Digital Link URIs that labels carry.
