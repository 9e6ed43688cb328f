/// Severity of a log line the core asks the shell to write.
public enum WorkerLogLevel: Sendable, Hashable {
    case debug, info, warning, error
}
