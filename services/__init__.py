"""Domain services: rules per area; storage in services/store, outside calls in services/clients."""
