// Comforts only; the booking page works without them.
(function(){
  var h=document.getElementById('view-heading');
  if(h&&document.activeElement!==h){h.focus();}
  var out=document.getElementById('outcome');
  if(out&&out.textContent.trim()){var t=out.innerHTML;out.innerHTML='';setTimeout(function(){out.innerHTML=t;},150);}
  document.querySelectorAll('form').forEach(function(f){
    f.addEventListener('submit',function(e){if(f.dataset.sent){e.preventDefault();}else{f.dataset.sent='1';}});
  });
  var offer=document.getElementById('zone-offer');
  if(offer){
    try{
      var tz=Intl.DateTimeFormat().resolvedOptions().timeZone;
      if(tz&&tz!==offer.dataset.current){
        var name=tz;
        try{var p=new Intl.DateTimeFormat(document.documentElement.lang,{timeZone:tz,timeZoneName:'longGeneric'}).formatToParts(new Date());
          p.forEach(function(x){if(x.type==='timeZoneName'){name=x.value;}});}catch(e){}
        offer.querySelector('input[name=zone]').value=tz;
        offer.querySelector('button').textContent=offer.dataset.template.replace('{zone}',name);
        offer.hidden=false;
      }
    }catch(e){}
  }
})();
