import { createRoot } from 'react-dom/client';
import type { Settings } from '../../src/api/contract/index.js';

// Placeholder until the UI lands: proves the build and the contract import work.
function App({ settings }: { settings?: Settings }) {
  return <p>Mooring {settings?.version ?? ''}</p>;
}

createRoot(document.getElementById('root')!).render(<App />);
