import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PipelineWorkspace } from './crash-pipeline.js';

const FILE = 'settings.json';

/**
 * Writes what the parent decided for a run (unique topic names, client ids) into the
 * workspace, where every child of the run reads it back with {@link readSettings}.
 */
export async function writeSettings(workspace: PipelineWorkspace, settings: object): Promise<void> {
  await writeFile(join(workspace.directory, FILE), JSON.stringify(settings, null, 2) + '\n');
}

/** The settings the parent wrote with {@link writeSettings}. */
export function readSettings<T>(workspace: PipelineWorkspace): T {
  return JSON.parse(readFileSync(join(workspace.directory, FILE), 'utf8')) as T;
}
