#!/usr/bin/env python3
# Issue 15, a side check to `chinwag-bench broadcast|storm --changes-percent`: server CPU and
# wall time per POST (new message), PATCH (edit) and DELETE, one at a time on one keep-alive
# connection, against a fresh release server on CPU 0 (SQLite engine); then the time of a
# new message posted right after an edit against right after a deletion (does the writer's
# WAL truncation after a deletion hold up the next append?). Loopback only, bounded by N.
# Usage: change_costs.py N [extra server flags...]; needs target/release/chinwag (or $CHINWAG).
import http.client, json, os, subprocess, sys, time, re
B=os.environ.get('CHINWAG','target/release/chinwag')
import tempfile
d=tempfile.mkdtemp(prefix='chinwag-change-costs-')
p=subprocess.Popen(['taskset','-c','0',B,'--bind','127.0.0.1:0','--db',d+'/bench.db','--static-dir',d+'/none',
  '--rate-per-sec','1000000','--rate-burst','1000000','--max-connections-per-ip','1000000','--max-connections','1000000',
  '--sign-ups-per-hour','100000']+sys.argv[2:],stdout=subprocess.PIPE,stderr=subprocess.STDOUT,env=dict(os.environ,RUST_LOG='warn'),text=True)
port=None
for line in p.stdout:
  m=re.search(r'listening on \S*:(\d+)',line)
  if m: port=int(m.group(1)); break
def cpu():
  f=open(f'/proc/{p.pid}/stat').read().rsplit(')',1)[1].split()
  return (int(f[11])+int(f[12]))/os.sysconf('SC_CLK_TCK')
c=http.client.HTTPConnection('127.0.0.1',port)
c.request('POST','/api/accounts',json.dumps({'username':'micro','password':'micro-password-1'}),{'Content-Type':'application/json'})
r=c.getresponse(); ck=r.getheader('set-cookie'); r.read()
sess=ck.split(';')[0].split('=',1)[1]
H={'Content-Type':'application/json','Authorization':'Bearer '+sess}
N=int(sys.argv[1]); room='micro'
def run(method, path_of, body_of):
  t=time.perf_counter(); c0=cpu(); out=[]
  for i in range(N):
    c.request(method, path_of(i), body_of(i), H); r=c.getresponse(); b=r.read()
    if r.status not in (200,201): raise SystemExit(f'{method} {r.status} {b[:200]}')
    out.append(b)
  return (time.perf_counter()-t)/N*1e3, (cpu()-c0)/N*1e6, out
text='x'*140
ms_post,us_post,out=run('POST',lambda i:f'/api/rooms/{room}/messages',lambda i:json.dumps({'message':f'{i:05d}'+text[5:],'client_id':f'm{i}'}))
ids=[json.loads(b)['id'] for b in out]
ms_edit,us_edit,_=run('PATCH',lambda i:f'/api/rooms/{room}/messages/{ids[i]}',lambda i:json.dumps({'message':'e'+text[1:]}))
ms_del,us_del,_=run('DELETE',lambda i:f'/api/rooms/{room}/messages/{ids[i]}',lambda i:'')
# A new message right after a deletion, against one right after an edit: does the writer's
# WAL truncation after a deletion hold up the next append?
ms_more,us_more,out2=run('POST',lambda i:f'/api/rooms/{room}/messages',lambda i:json.dumps({'message':text,'client_id':f'n{i}'}))
ids2=[json.loads(b)['id'] for b in out2]
after_del=[];after_edit=[]
for i in range(N):
  c.request('PATCH',f'/api/rooms/{room}/messages/{ids2[i]}',json.dumps({'message':'e'+text[1:]}),H); c.getresponse().read()
  t=time.perf_counter(); c.request('POST',f'/api/rooms/{room}/messages',json.dumps({'message':text,'client_id':f'pe{i}'}),H); c.getresponse().read(); after_edit.append(time.perf_counter()-t)
  c.request('DELETE',f'/api/rooms/{room}/messages/{ids2[i]}','',H); c.getresponse().read()
  t=time.perf_counter(); c.request('POST',f'/api/rooms/{room}/messages',json.dumps({'message':text,'client_id':f'pd{i}'}),H); c.getresponse().read(); after_del.append(time.perf_counter()-t)
import statistics as st
q=lambda xs,p: sorted(xs)[int(p*(len(xs)-1))]*1e3
post_after={'after_edit_ms_p50_p95':[round(q(after_edit,.5),2),round(q(after_edit,.95),2)],'after_delete_ms_p50_p95':[round(q(after_del,.5),2),round(q(after_del,.95),2)]}
print(json.dumps({'post_after':post_after, 'n':N,'extra':sys.argv[2:],'post':{'ms':round(ms_post,3),'cpu_us':round(us_post,1)},'edit':{'ms':round(ms_edit,3),'cpu_us':round(us_edit,1)},'delete':{'ms':round(ms_del,3),'cpu_us':round(us_del,1)}}))
p.terminate(); p.wait()
import shutil; shutil.rmtree(d, ignore_errors=True)
