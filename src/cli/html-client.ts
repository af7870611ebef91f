/**
 * Style and script inlined into the `--html` page (render-html.ts). Plain ES2017, no library, no
 * network: it reads the page's own JSON (`#ck-data`) and the SVG drawn on the server side, and
 * adds hover / click (a path's whole chain), a filterable list of paths, zoom and pan.
 */

export const CLIENT_STYLE = `
*{box-sizing:border-box}
body{margin:0;font:13px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2733;background:#f6f7f9}
header{padding:10px 16px;border-bottom:1px solid #dde2e8;background:#fff}
h1{font-size:16px;margin:0 0 2px}
.meta{color:#5b6878}
.notes{color:#5b6878;font-size:12px}
main{display:flex;height:calc(100vh - 88px);min-height:420px}
#canvas{flex:1;position:relative;overflow:hidden;background:#fbfcfd}
#graph{width:100%;height:100%;cursor:grab;user-select:none}
#graph.dragging{cursor:grabbing}
.hint{position:absolute;left:10px;bottom:6px;color:#8a96a3;font-size:11px;pointer-events:none}
aside{width:420px;border-left:1px solid #dde2e8;background:#fff;display:flex;flex-direction:column}
#chain{padding:10px 14px;border-bottom:1px solid #dde2e8;max-height:55%;overflow:auto}
#chain .empty{color:#8a96a3;margin:4px 0}
#chain ol{margin:4px 0;padding-left:20px}
#chain li{margin:4px 0}
#chain .hopname{font-weight:600}
#chain .nums{color:#3d4a59;font-variant-numeric:tabular-nums}
#chain .exit{color:#5b6878;margin-left:10px;font-size:12px}
#chain .mark{color:#b00;font-weight:600;margin-left:4px}
#chain .key{color:#8a96a3;font-family:ui-monospace,monospace;font-size:11px}
#filter{margin:8px 14px;padding:5px 8px;border:1px solid #c9d1da;border-radius:4px;font:inherit}
#paths{list-style:none;margin:0;padding:0 6px 10px 14px;overflow:auto;flex:1}
#paths li{padding:4px 6px;border-radius:4px;cursor:pointer;border-bottom:1px solid #f0f2f5}
#paths li:hover,#paths li.sel{background:#eaf1fb}
#paths li .c{float:right;color:#5b6878;font-variant-numeric:tabular-nums;margin-left:6px}
#paths li.err .c{color:#b00}
.service rect{fill:#fff;stroke:#4a6fa5;stroke-width:1.4}
.service.err rect{stroke:#d62728}
.service.hl rect,.external.hl rect{stroke-width:3}
.external rect{fill:#eef1f6;stroke:#8a96a3;stroke-dasharray:4 3}
.service,.external{cursor:pointer}
.name{font-weight:600;font-size:13px;fill:#1d2733}
.sub{font-size:11px;fill:#5b6878}
.hop{fill:none;stroke:#8797ab;stroke-opacity:.7;cursor:pointer}
.hop.warn{stroke:#e69500}
.hop.err{stroke:#d62728}
.hop.orphan{stroke-dasharray:6 4}
.hop:hover{stroke-opacity:1}
.arrowhead{fill:#8797ab}
.pair-label{font-size:11px;fill:#34404d;paint-order:stroke;stroke:#fbfcfd;stroke-width:4px;stroke-linejoin:round;pointer-events:none}
.pair-label.err{fill:#b0161b}
.pair-label.warn{fill:#a05f00}
.pair-label.quiet{display:none}
svg.dim .hop{stroke-opacity:.1}
svg.dim .hop.hl{stroke-opacity:1;stroke:#1f5fbf}
svg.dim .hop.hl.err{stroke:#d62728}
svg.dim .pair-label{opacity:.25}
svg.dim .pair-label.hl{opacity:1;display:inline}
svg.dim .service,svg.dim .external{opacity:.45}
svg.dim .service.hl,svg.dim .external.hl{opacity:1}
`;

export const CLIENT_SCRIPT = `
(function(){
"use strict";
var D=JSON.parse(document.getElementById("ck-data").textContent);
var hops=D.hops;
var svg=document.getElementById("graph");
var chainBox=document.getElementById("chain");
var list=document.getElementById("paths");
var filter=document.getElementById("filter");
var edgeEls=[];svg.querySelectorAll("path.hop").forEach(function(el){edgeEls[+el.getAttribute("data-hop")]=el;});
var nodeEls={};svg.querySelectorAll("g[data-service]").forEach(function(el){nodeEls[el.getAttribute("data-service")]=el;});
var labelEls={};svg.querySelectorAll("text.pair-label").forEach(function(el){labelEls[el.getAttribute("data-pair")]=el;});
var pinned=null;

function dur(s){if(s===null||s===undefined||!isFinite(s))return "-";var ms=s*1000;
 if(ms<1)return Math.round(ms*1000)+"\\u00b5s";if(ms<10)return ms.toFixed(2)+"ms";if(ms<100)return ms.toFixed(1)+"ms";
 if(ms<1000)return Math.round(ms)+"ms";return s.toFixed(s<10?2:1)+"s";}
function pct(r){var p=r*100;return (p>=10?p.toFixed(0):p>=1?p.toFixed(1):p.toFixed(2))+"%";}
function errs(e,c){return e===0?"0":e+" ("+pct(c>0?e/c:0)+")";}
function el(tag,cls,text){var e=document.createElement(tag);if(cls)e.className=cls;if(text!==undefined)e.textContent=text;return e;}
function chainOf(id){var c=[];for(var h=hops[id];h;h=h.parent>=0?hops[h.parent]:null)c.unshift(h);return c;}
function chainText(id){return chainOf(id).map(function(h){return h.to+" "+h.name;}).join(" \\u2192 ");}
function markText(m){return m.map(function(x){return x==="slowest"?"\\u25c0 slowest":"\\u25c0 most errors";}).join(" ");}

function clear(){svg.classList.remove("dim");
 svg.querySelectorAll(".hl").forEach(function(e){e.classList.remove("hl");});
 list.querySelectorAll("li.sel").forEach(function(e){e.classList.remove("sel");});}
function light(ids){clear();svg.classList.add("dim");
 ids.forEach(function(id){var h=hops[id];var e=edgeEls[id];if(e)e.classList.add("hl");
  if(nodeEls[h.from])nodeEls[h.from].classList.add("hl");if(nodeEls[h.to])nodeEls[h.to].classList.add("hl");
  var l=labelEls[h.from+" \\u2192 "+h.to];if(l)l.classList.add("hl");
  var li=list.querySelector('li[data-hop="'+id+'"]');if(li)li.classList.add("sel");});}

function showChain(id){var c=chainOf(id);light(c.map(function(h){return h.id;}));
 chainBox.textContent="";chainBox.appendChild(el("div","key","path "+hops[id].key+(hops[id].orphan?" (its first caller is not in the input)":"")));
 var ol=el("ol");c.forEach(function(h){var li=el("li");
  li.appendChild(el("span","hopname",h.to+"  "+h.name));
  if(h.marks.length)li.appendChild(el("span","mark",markText(h.marks)));
  li.appendChild(el("div","nums","calls "+h.calls+" \\u00b7 errors "+errs(h.errors,h.calls)+" \\u00b7 p50 "+dur(h.p50)+" \\u00b7 p99 "+dur(h.p99)+(h.instances!==null?" \\u00b7 "+h.instances+" instances":"")));
  h.exits.forEach(function(x){var d=el("div","exit","\\u2192 "+x.type+" "+x.name+"  calls "+x.calls+", errors "+errs(x.errors,x.calls)+", p99 "+dur(x.p99));
   if(x.marks.length)d.appendChild(el("span","mark",markText(x.marks)));li.appendChild(d);});
  ol.appendChild(li);});
 chainBox.appendChild(ol);}

function showService(name){var ids=[];hops.forEach(function(h){if(h.to===name||h.from===name)ids.push(h.id);});light(ids);
 if(nodeEls[name])nodeEls[name].classList.add("hl");
 chainBox.textContent="";chainBox.appendChild(el("div","hopname",name));
 var into=hops.filter(function(h){return h.to===name;});
 var calls=into.reduce(function(n,h){return n+h.calls;},0),e=into.reduce(function(n,h){return n+h.errors;},0);
 chainBox.appendChild(el("div","nums",into.length+" paths into it \\u00b7 calls "+calls+" \\u00b7 errors "+errs(e,calls)));
 filter.value=name;renderList();}

function renderList(){var q=filter.value.trim().toLowerCase();list.textContent="";var shown=0;
 hops.slice().sort(function(a,b){return b.calls-a.calls;}).forEach(function(h){var t=chainText(h.id);
  if(q&&t.toLowerCase().indexOf(q)<0&&h.key.indexOf(q)<0)return;shown++;
  var li=el("li",h.calls>0&&h.errors/h.calls>=0.05?"err":"");li.setAttribute("data-hop",h.id);
  li.appendChild(el("span","c",h.calls+" \\u00b7 p99 "+dur(h.p99)+(h.errors?" \\u00b7 "+pct(h.errors/Math.max(1,h.calls))+" err":"")));
  li.appendChild(document.createTextNode(t));list.appendChild(li);});
 if(!shown)list.appendChild(el("li","","no path matches"));}

list.addEventListener("mouseover",function(ev){var li=ev.target.closest("li[data-hop]");if(li&&pinned===null)showChain(+li.getAttribute("data-hop"));});
list.addEventListener("click",function(ev){var li=ev.target.closest("li[data-hop]");if(li){pinned=+li.getAttribute("data-hop");showChain(pinned);}});
list.addEventListener("mouseleave",function(){if(pinned===null)clear();else showChain(pinned);});
filter.addEventListener("input",renderList);
svg.addEventListener("mouseover",function(ev){if(pinned!==null||dragging)return;var e=ev.target.closest("path.hop");if(e)showChain(+e.getAttribute("data-hop"));});
svg.addEventListener("mouseout",function(ev){if(pinned===null&&ev.target.closest("path.hop"))clear();});
svg.addEventListener("click",function(ev){if(moved)return;var e=ev.target.closest("path.hop");
 if(e){pinned=+e.getAttribute("data-hop");showChain(pinned);return;}
 var n=ev.target.closest("g[data-service]");if(n){pinned=-1;showService(n.getAttribute("data-service"));return;}
 pinned=null;clear();});

var W=+svg.getAttribute("data-width"),H=+svg.getAttribute("data-height");var vb=[0,0,W,H];
function setVb(){svg.setAttribute("viewBox",vb.map(function(v){return Math.round(v*10)/10;}).join(" "));}
function toSvg(ev){var r=svg.getBoundingClientRect();var s=Math.max(vb[2]/r.width,vb[3]/r.height);
 var ox=(r.width*s-vb[2])/2,oy=(r.height*s-vb[3])/2;return [vb[0]-ox+(ev.clientX-r.left)*s,vb[1]-oy+(ev.clientY-r.top)*s,s];}
svg.addEventListener("wheel",function(ev){ev.preventDefault();var p=toSvg(ev);var k=ev.deltaY<0?0.85:1/0.85;
 var w=Math.min(W*4,Math.max(80,vb[2]*k)),h=vb[3]*(w/vb[2]);vb=[p[0]-(p[0]-vb[0])*(w/vb[2]),p[1]-(p[1]-vb[1])*(h/vb[3]),w,h];setVb();},{passive:false});
var dragging=false,moved=false,last=null;
svg.addEventListener("mousedown",function(ev){dragging=true;moved=false;last=[ev.clientX,ev.clientY];svg.classList.add("dragging");});
window.addEventListener("mousemove",function(ev){if(!dragging)return;var dx=ev.clientX-last[0],dy=ev.clientY-last[1];
 if(!moved&&Math.abs(dx)+Math.abs(dy)<4)return;moved=true;var s=toSvg(ev)[2];vb[0]-=dx*s;vb[1]-=dy*s;last=[ev.clientX,ev.clientY];setVb();});
window.addEventListener("mouseup",function(){dragging=false;svg.classList.remove("dragging");setTimeout(function(){moved=false;},0);});
svg.addEventListener("dblclick",function(){vb=[0,0,W,H];setVb();});
// A small graph, or one that fits at a readable scale, is shown whole; a big one opens at a
// readable scale on its left (the external callers), vertically centred; double-click fits it all.
(function(){var r=svg.getBoundingClientRect();if(!r.width||!r.height)return;var fit=Math.min(r.width/W,r.height/H);
 if(fit>=0.55||Object.keys(nodeEls).length<=12)return;var s=0.85,w=r.width/s,h=r.height/s;vb=[0,Math.max(0,(H-h)/2),w,h];setVb();})();
renderList();
})();
`;
