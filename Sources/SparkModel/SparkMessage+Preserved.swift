extension SparkMessage {
    /// The same message without the objects kept to relay byte for byte, so an encoder builds
    /// every part itself (used to check and measure our own encoding).
    public var withoutPreservedObjects: SparkMessage {
        switch self {
        case .registerApplication(var m):
            m.appDescription.preserved = nil
            return .registerApplication(m)
        case .launchExecutor(var m):
            m.appDesc.preserved = nil
            return .launchExecutor(m)
        case .launchDriver(var m):
            m.driverDesc.preserved = nil
            return .launchDriver(m)
        case .requestSubmitDriver(var m):
            m.driverDescription.preserved = nil
            return .requestSubmitDriver(m)
        default:
            return self
        }
    }
}
