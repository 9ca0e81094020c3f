import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { Root } from './components/Root/Root.js';
import { applyStoredTheme } from './components/TopBar/ThemeToggle.js';
import './styles.css';

applyStoredTheme();
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Root />
  </StrictMode>,
);
