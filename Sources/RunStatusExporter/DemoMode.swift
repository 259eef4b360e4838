/// Placeholder until the simulator lands.
struct DemoMode {
    var config: ExporterConfig
    var baseURL: String
    static func start() throws -> DemoMode { throw ReloadError("demo not available yet") }
    func stop() {}
}
