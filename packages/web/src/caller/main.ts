import { extensionIdFromPath } from '../shared/pageExtension.js';
import { CallerPage } from './CallerPage.js';
import { markEmbedded } from './embedded.js';

markEmbedded();

const extensionId = extensionIdFromPath();
if (extensionId !== undefined) new CallerPage(extensionId).start();
