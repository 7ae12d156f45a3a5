// InlineEffectHost: effects run in this process, tier 'inline' (lash's
// InlineEffectHost). Not crash-durable; durable hosts (Restate) come separately.
export class InlineEffectHost {
  get durabilityTier() { return 'inline'; }
}
