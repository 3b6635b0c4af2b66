"""Where cost rows come from: one module per provider, each degrading to "not configured" or "not allowed
for this token" with the reason, never to a guess shown as fact."""
