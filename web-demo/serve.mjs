// npm run demo:web — serves the repository on 127.0.0.1 and prints the demo's URL.
import { startServer } from './server.mjs';

const port = Number(process.env.PORT ?? 0);
const server = await startServer(port);
console.log(`lash-wasm web demo: ${server.url}/web-demo/  (Ctrl-C to stop)`);
