// Effects: InlineEffectHost runs effects in this process, tier 'inline' (lash's
// InlineEffectHost). Not crash-durable; durable hosts (Restate) come separately, and
// the effect ops (wave 2) join this file.
export class InlineEffectHost {
  get durabilityTier() { return 'inline'; }
}
