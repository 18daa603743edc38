import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { I18n } from './i18n';
import { Router } from './router';
import './styles.css';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <I18n>
      <Router>
        <App />
      </Router>
    </I18n>
  </StrictMode>,
);
