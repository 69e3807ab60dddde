import { extensionIdFromPath } from '../shared/pageExtension.js';
import { AgentConsole } from './AgentConsole.js';

const extensionId = extensionIdFromPath();
if (extensionId !== undefined) new AgentConsole(extensionId).start();
