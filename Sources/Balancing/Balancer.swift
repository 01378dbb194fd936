// Placeholder replaced by the balancing module.
