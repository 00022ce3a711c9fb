"""Peru's penal interoperability hub: court, registry and medio libre feeds harmonised."""
