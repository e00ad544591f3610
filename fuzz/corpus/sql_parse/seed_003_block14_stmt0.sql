USE master;  
--On HOST_B, create a login for HOST_A.  
