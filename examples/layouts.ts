import { etcdNaming } from "rxnaming";

const hosts = (process.env.ETCD_ENDPOINTS ?? "http://127.0.0.1:2379").split(",");
const kratosV2 = etcdNaming({ hosts }, { layout: "kratos-v2" }); // prefix "/microservices"
const endpoints = etcdNaming({ hosts }, { layout: "etcd-endpoints" }); // the appid is the gRPC target
const goZero = etcdNaming({ hosts }, { layout: "go-zero", ttlSeconds: 10 }); // the appid is the go-zero key

// Each naming reads and writes its own layout; the same appid in two layouts is two different places.
for (const [naming, appId] of [
  [kratosV2, "demo.service"],
  [endpoints, "svc/echo"],
  [goZero, "app/user.rpc"],
] as const) {
  const set = await naming.build(appId).fetch();
  console.log(naming.scheme, appId, set._tag === "Right" ? set.right.instances.length : set.left.message);
  await naming.close();
}
