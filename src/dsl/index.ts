/** Public API of the `.lutdla` language: loading configs, diagnostics, and the language service. */
export type { ConfigDiagnostic, Severity } from './diagnostics';
export { hasErrors, formatDiagnostic } from './diagnostics';
export { loadConfigText, loadConfigFile, resolveConfigPath, emptyDocument, analyze, isText } from './load';
export type { Analysis } from './load';
export type { Position, Range } from './positions';
export * from './config';
// language service exports appended below

export { LanguageService } from './service/languageService';
export type * from './service/types';
export { formatText } from './service/format';
export type { Definition } from './service/definition';
