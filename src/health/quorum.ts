// Health layer (pure): keepalived's virtual server quorum with hysteresis, from the weights of the live real servers.

/** QuorumRule is a virtual server's `quorum` and `hysteresis`. */
export interface QuorumRule {
  readonly quorum: number;
  readonly hysteresis: number;
}

/** initialQuorum is the quorum state at start (keepalived's set_quorum_states): up when the live weight reaches quorum + hysteresis. */
export function initialQuorum(rule: QuorumRule, aliveWeight: number): boolean {
  return aliveWeight >= rule.quorum + rule.hysteresis;
}

/** quorumStep is the quorum state after a change of live weight (keepalived's update_quorum_state). */
export function quorumStep(up: boolean, rule: QuorumRule, aliveWeight: number): boolean {
  // gained: the live weight reached quorum + hysteresis (the sorry server leaves, quorum_up runs)
  if (!up && aliveWeight >= rule.quorum + rule.hysteresis) return true;
  // lost: nothing alive, or the live weight fell below quorum - hysteresis (the sorry server comes in, quorum_down runs)
  if (up && (aliveWeight === 0 || aliveWeight < rule.quorum - rule.hysteresis)) return false;
  return up;
}

/** quorumThreshold is the live weight the next transition needs: quorum + hysteresis to gain, quorum - hysteresis to keep. */
export function quorumThreshold(up: boolean, rule: QuorumRule): number {
  return rule.quorum + (up ? -1 : 1) * rule.hysteresis;
}
