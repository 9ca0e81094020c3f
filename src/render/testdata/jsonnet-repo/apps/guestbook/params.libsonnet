{
  image: 'registry.k8s.io/pause:3.10',
  replicas: 2,
  port: 80,
  withConfig: true,
}
