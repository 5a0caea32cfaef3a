/** Where the agent's lines go: the terminal or journald on the VPN host, a list in tests. */
export interface AgentLog {
  info(message: string): void;
  /** Something refused or skipped that a person may want to know about. */
  warn(message: string): void;
  /** A fault: something the agent should have done and could not. */
  error(message: string, error?: unknown): void;
}
