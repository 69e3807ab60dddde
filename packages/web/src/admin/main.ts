import { AdminPage } from './AdminPage.js';

new AdminPage().start();
