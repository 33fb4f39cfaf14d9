"""The Metacontroller hook service: v2 sync/customize requests in, children and status out.

Thin shell around `generator`: it reads the request, resolves related Secrets and ConfigMaps,
builds Kubernetes objects and the parent's status. All state lives in Kubernetes.
"""
