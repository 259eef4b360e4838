public enum ExporterPlaceholder {}
