/// Where a run stands as far as its times go: not started, started, or ended.
enum RunPhase: Sendable {
    case waiting, active, finished
}

/// The five vendors, internally; the public API names them with plain strings.
enum SimulatedVendor: Int, CaseIterable, Sendable {
    case rsa, sequentum, instabase, wes, nexio

    var name: String {
        switch self {
        case .rsa: "rsa"
        case .sequentum: "sequentum"
        case .instabase: "instabase"
        case .wes: "wes"
        case .nexio: "nexio"
        }
    }

    init?(name: String) {
        guard let vendor = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = vendor
    }

    /// Which times a state implies, from the vendors' documents: a waiting run has no start time yet, a finished
    /// one has an end time. Values a document does not list count as active.
    func phase(of state: String) -> RunPhase {
        switch self {
        case .rsa:
            switch state {
            case "New": .waiting
            case "Completed", "Aborted": .finished
            default: .active
            }
        case .sequentum:
            switch Int(state) {
            case 4, 12: .waiting
            case 6, 7, 8, 9, 10, 11: .finished
            default: .active
            }
        case .instabase:
            switch state {
            case "PENDING": .waiting
            case "COMPLETE", "FAILED", "CANCELLED": .finished
            default: .active
            }
        case .wes:
            switch state {
            case "QUEUED", "INITIALIZING": .waiting
            case "COMPLETE", "EXECUTOR_ERROR", "SYSTEM_ERROR", "CANCELED", "PREEMPTED": .finished
            default: .active
            }
        case .nexio:
            switch state {
            case "queued": .waiting
            case "completed", "degraded", "failed": .finished
            default: .active
            }
        }
    }

    /// The lookup key of a configured or requested id: RSA's as a number (`0042` is run 42), Sequentum's as
    /// `AGENT/RUN` integers; nil when the id cannot be one of this vendor's.
    func key(for id: String) -> String? {
        switch self {
        case .rsa:
            return Int64(id).map { String($0) }
        case .sequentum:
            let parts = id.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2, let agent = Int32(parts[0]), let run = Int64(parts[1]) else { return nil }
            return "\(agent)/\(run)"
        case .instabase, .wes, .nexio:
            return id.isEmpty ? nil : id
        }
    }
}
