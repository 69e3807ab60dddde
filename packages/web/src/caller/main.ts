import { extensionIdFromPath } from '../shared/pageExtension.js';
import { CallerPage } from './CallerPage.js';

const extensionId = extensionIdFromPath();
if (extensionId !== undefined) new CallerPage(extensionId).start();
