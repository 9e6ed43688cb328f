/// The watches a session holds, by kind, as the Java client's `ZKWatchManager` tracks them.
public struct WatchRegistry: Sendable, Hashable {
    /// Set by getData, or exists on an existing node.
    public var data: Set<String> = []
    /// Set by exists on a missing node.
    public var exist: Set<String> = []
    /// Set by getChildren.
    public var child: Set<String> = []

    public init() {}

    public var isEmpty: Bool { data.isEmpty && exist.isEmpty && child.isEmpty }

    /// Forgets the one-shot watches `type` on `path` consumed.
    mutating func fired(_ type: EventType, path: String) {
        switch type {
        case .nodeCreated, .nodeDataChanged:
            data.remove(path)
            exist.remove(path)
        case .nodeDeleted:
            data.remove(path)
            exist.remove(path)
            child.remove(path)
        case .nodeChildrenChanged:
            child.remove(path)
        case .dataWatchRemoved:
            data.remove(path)
            exist.remove(path)
        case .childWatchRemoved:
            child.remove(path)
        case .none, .persistentWatchRemoved, .unknown:
            break
        }
    }

    /// SetWatches records re-registering everything, each at most `maxSize` bytes (but at least one path).
    func setWatchesRecords(relativeZxid: Int64, maxSize: Int) -> [SetWatches] {
        guard !isEmpty else { return [] }
        var records: [SetWatches] = []
        var current = SetWatches(relativeZxid: relativeZxid, dataWatches: [], existWatches: [], childWatches: [])
        var size = current.encodedSize
        func add(_ path: String, _ keyPath: WritableKeyPath<SetWatches, [String]>) {
            let cost = 4 + path.utf8.count
            if size + cost > maxSize, size > SetWatches(relativeZxid: 0, dataWatches: [], existWatches: [], childWatches: []).encodedSize {
                records.append(current)
                current = SetWatches(relativeZxid: relativeZxid, dataWatches: [], existWatches: [], childWatches: [])
                size = current.encodedSize
            }
            current[keyPath: keyPath].append(path)
            size += cost
        }
        for path in data.sorted() { add(path, \.dataWatches) }
        for path in exist.sorted() { add(path, \.existWatches) }
        for path in child.sorted() { add(path, \.childWatches) }
        records.append(current)
        return records
    }
}
