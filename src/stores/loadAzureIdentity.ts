import type { newPipeline } from '@azure/storage-blob';
import { ErrorCode, SmoothpubError } from '../errors.js';

/** A credential the blob pipeline accepts (a TokenCredential, here). */
type PipelineCredential = NonNullable<Parameters<typeof newPipeline>[0]>;

/** The part of @azure/identity smoothpub uses. */
export interface AzureIdentity {
  DefaultAzureCredential: new () => PipelineCredential;
}

/**
 * Loads @azure/identity for Entra ID sign-in. It is an optional peer dependency: with MSAL it
 * is about 40 MB installed, and keys, SAS tokens and connection strings do without it.
 * `importIdentity` is for tests.
 */
export async function loadAzureIdentity(account: string, importIdentity: () => Promise<AzureIdentity> = () => import('@azure/identity')): Promise<AzureIdentity> {
  try {
    return await importIdentity();
  } catch (e) {
    const how =
      'install it beside smoothpub (`npm install -g @azure/identity` next to a global install, `npm install @azure/identity` in a project), ' +
      'or set AZURE_STORAGE_KEY, AZURE_STORAGE_SAS_TOKEN or AZURE_STORAGE_CONNECTION_STRING instead';
    const why = isNotInstalled(e) ? 'which is not installed' : `which could not be loaded (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`;
    throw new SmoothpubError(
      ErrorCode.AZURE_IDENTITY_MISSING,
      `signing in to Azure storage account ${account} with Entra ID (AZURE_STORAGE_ACCOUNT without AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN) needs the optional package @azure/identity, ${why}: ${how}`,
      {},
      { cause: e },
    );
  }
}

/** Node's error for the package itself missing (not for a dependency of it). */
function isNotInstalled(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && e instanceof Error && e.message.includes("'@azure/identity'");
}
