import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { Application, ResourceDiff, ResourceNode } from '../../../../src/api/contract/index.js';
import { appKey } from '../../lib/apps.js';
import { mergeTree } from '../../lib/tree.js';
import { useApps } from '../Root/context.js';

const POLL_MS = 5_000;

/**
 * One application with its resource tree and managed resources, kept current: the app itself from
 * the live stream, the tree and resources refetched when the app's stream event arrives, and a
 * light poll every few seconds while the page is open and visible (children such as Pods change
 * without the app changing).
 */
export function useAppDetails(namespace: string, name: string) {
  const { api, apps } = useApps();
  const streamed = useMemo(
    () => apps.find((a) => appKey(a) === `${namespace}/${name}`),
    [apps, namespace, name],
  );
  const [fetched, setFetched] = useState<Application | undefined>();
  const [appError, setAppError] = useState<unknown>(null);
  const [nodes, setNodes] = useState<ResourceNode[] | null>(null);
  const [managed, setManaged] = useState<ResourceDiff[]>([]);
  const [treeError, setTreeError] = useState<unknown>(null);
  const [version, setVersion] = useState(0);
  const inFlight = useRef(false);

  // The newer of what the stream and the last GET said.
  const app = useMemo(() => {
    if (!streamed) return fetched;
    if (!fetched) return streamed;
    return Number(fetched.metadata.resourceVersion) > Number(streamed.metadata.resourceVersion)
      ? fetched
      : streamed;
  }, [streamed, fetched]);

  const loadApp = useCallback(
    async (refresh?: 'normal' | 'hard') => {
      try {
        setFetched(await api.getApp(namespace, name, refresh));
        setAppError(null);
      } catch (err) {
        setAppError(err);
      }
    },
    [api, namespace, name],
  );

  const loadTree = useCallback(async () => {
    if (inFlight.current) return;
    inFlight.current = true;
    try {
      const [tree, res] = await Promise.all([
        api.tree(namespace, name),
        api.managedResources(namespace, name),
      ]);
      const items = res.items ?? [];
      setManaged(items);
      setNodes(mergeTree(tree.nodes ?? [], items));
      setTreeError(null);
      setVersion((v) => v + 1);
    } catch (err) {
      setTreeError(err);
    } finally {
      inFlight.current = false;
    }
  }, [api, namespace, name]);

  useEffect(() => {
    void loadApp();
  }, [loadApp]);

  // Every new version of the app (a stream event) refetches the tree.
  const rv = app?.metadata.resourceVersion;
  useEffect(() => {
    if (rv === undefined && !appError) return;
    void loadTree();
  }, [rv, loadTree, appError]);

  useEffect(() => {
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') void loadTree();
    }, POLL_MS);
    return () => clearInterval(timer);
  }, [loadTree]);

  return { app, appError, nodes, managed, treeError, version, loadApp, loadTree };
}
