/** A provider that cannot be called as configured; never worth a retry. */
export class ProviderConfigError extends Error {
  override name = 'ProviderConfigError';
}
