"""What the broker's first screen needs beyond the domains' own reads: the last-known answers shown at once,
marked with their age, while the live ones are on their way."""
